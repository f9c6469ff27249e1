// Building the responses every service shares: JSON errors and cacheable JSON documents.
#pragma once

#include <chrono>
#include <string>

#include "http.h"
#include "registry_error.h"

namespace otr {

// {"errors":["message"]} as application/json with `status`.
Response json_error(int status, const std::string& message);

// The answer to a registry failure, and the one place that maps a failure to a status: 401, 404
// (with `not_found`, the service's own words), 502 or 504. The body says what kind of problem it
// was and names the request id, never the registry's host, address or libcurl's text; the detail
// goes to the log under the same id (not for 404: not-found is no problem of ours).
Response registry_error_response(const RegistryError& error, const Request& request, const std::string& service,
                                 const std::string& not_found);

// A 200 application/json document with an ETag derived from `etag_source` (pass the body itself
// unless parts of it vary without changing its meaning), Cache-Control max-age (private when the
// request carried credentials) and Vary: Authorization. Answers 304 when If-None-Match matches.
Response json_document(const Request& request, std::string body, const std::string& etag_source,
                       std::chrono::seconds max_age);

// A text/html page (no caching by shared caches).
Response html_page(std::string body);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string html_escape(const std::string& text);

}  // namespace otr
