// Turning the CGI/FastCGI parameters a web server sends into a Request (pure logic, no libfcgi).
//
// nginx, lighttpd and Apache disagree on SCRIPT_NAME/PATH_INFO (see README "Web servers"):
//  - PATH_INFO non-empty: the web server split the path, and SCRIPT_NAME is the mount point
//    (or, for a request rewritten to a script the URL never named, the script's directory). When
//    the mount's last segment is itself one of `top_level_names` (Apache `Alias /mirror ...`,
//    lighttpd key "/mirror", nginx split at "/mirror"), that segment is given back to the path,
//    so the service named "mirror" is found.
//  - PATH_INFO empty (nginx's plain fastcgi_params, lighttpd at "/"): the application is at the
//    root and the whole path is ours.
// The mount never comes from bytes the client chose (links and redirects are built from it); one
// that is not a clean path, a SCRIPT_NAME that is not a path, or a request target that is not a
// path ("*", "x"), sets Request::bad_request.
// The path itself is taken raw from REQUEST_URI, so encoded slashes and dot segments the client
// sent are seen (and refused by the router) rather than normalised away by the web server.
// Never throws on what a web server or client sends.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace otr {

// `params`: "NAME=value" entries as FastCGI delivers them (FCGX_Request::envp).
// `top_level_names`: the first path segments the application answers (services, "healthz").
Request request_from_cgi(const std::vector<std::string_view>& params,
                         const std::vector<std::string>& top_level_names);

}  // namespace otr
