// Turning the CGI/FastCGI parameters a web server sends into a Request (pure logic, no libfcgi).
//
// nginx, lighttpd and Apache disagree on SCRIPT_NAME/PATH_INFO (see README "Web servers"):
//  - PATH_INFO non-empty: SCRIPT_NAME is the mount point, the rest of the path is ours.
//  - PATH_INFO empty (nginx's plain fastcgi_params, lighttpd at "/"): the whole path is ours,
//    unless it starts with segments before a known top-level name (a service name, "healthz",
//    ".well-known"), in which case those segments are the mount point.
// The path itself is always taken raw from REQUEST_URI, so encoded slashes and dot segments the
// client sent are seen (and rejected by the router) rather than normalised away by the web server.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http.h"

namespace otr {

// Returns the parameter's value, or nullopt when the web server did not send it.
using ParamLookup = std::function<std::optional<std::string>(std::string_view name)>;

// `top_level_names`: the first path segments the application answers (service names, "healthz",
// ".well-known"), used to find the mount point when PATH_INFO is empty.
Request request_from_cgi(const ParamLookup& param, const std::vector<std::string>& top_level_names);

}  // namespace otr
