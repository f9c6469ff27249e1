// Building the responses every service shares: JSON errors and cacheable JSON documents.
#pragma once

#include <chrono>
#include <string>

#include "base/error.h"
#include "http/message.h"

namespace otr {

// {"errors":["message"]} as application/json with `status`.
Response json_error(int status, const std::string& message);

// The answer to an Error: the one place that maps an error kind to a status and a body.
//   kNotFound 404, kUnauthorized 401, kTimeout 504, kUnreachable and kBadResponse 502,
//   kUnavailable 503, kInvalidInput 400, kConflict 409, anything else 500.
// The body says what kind of problem it was and names the request id, never an origin's host,
// address or the transport's own words; the detail goes to the log under the same id, with `who`
// (the service's name, or "") in front. kInvalidInput and kConflict speak of the request itself:
// their body is the error's message, and nothing is logged.
Response error_response(const Error& error, const Request& request, const std::string& who);

// A 200 application/json document with an ETag derived from `etag_source` (for a body with parts
// that vary without changing its meaning), Cache-Control max-age (private when the request carried
// credentials) and Vary: Authorization. Answers 304 when If-None-Match matches.
Response json_document(const Request& request, std::string body, const std::string& etag_source,
                       std::chrono::seconds max_age);
// The same, the ETag derived from the body itself.
Response json_document(const Request& request, std::string body, std::chrono::seconds max_age);

// A text/html page answered like json_document (ETag of the body, Cache-Control max-age, private
// with credentials, Vary: Authorization, 304 on If-None-Match), with `status` when not a 304.
Response html_document(const Request& request, std::string body, std::chrono::seconds max_age, int status = 200);

// A text/html page, revalidated before every reuse (Cache-Control: no-cache).
Response html_page(std::string body);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string html_escape(const std::string& text);

}  // namespace otr
