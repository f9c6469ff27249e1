#include "http/responses.h"

#include "base/json.h"
#include "base/log.h"
#include "base/sha256.h"
#include "base/strings.h"

namespace otr {

namespace {

// If-None-Match holds "*" or a comma-separated list of (possibly weak) entity tags.
bool if_none_match_hits(const std::string& header, const std::string& etag) {
  if (header.empty()) return false;
  for (std::string item : split(header, ',')) {
    item = trim(item);
    if (item.starts_with("W/")) item = item.substr(2);
    if (item == "*" || item == etag) return true;
  }
  return false;
}

}  // namespace

Response json_error(int status, const std::string& message) {
  JsonPtr doc = json_new_object();
  JsonPtr errors = json_new_array();
  json_append_string(errors.get(), message);
  json_add(doc.get(), "errors", std::move(errors));
  Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json");
  r.headers.set("Cache-Control", "no-store");
  // HTTP requires a challenge on 401; Terraform answers it with the token from its CLI config.
  if (status == 401) r.headers.set("WWW-Authenticate", "Bearer realm=\"oci-distribution-terraform-registry\"");
  r.body = json_print(doc.get()) + "\n";
  return r;
}

Response error_response(const Error& error, const Request& request, const std::string& who) {
  const std::string id = request.request_id.empty() ? std::string() : " (request id " + request.request_id + ")";
  const std::string detail = (who.empty() ? std::string() : who + ": ") + error.what() + id;
  switch (error.kind()) {
    case ErrorKind::kNotFound:
      log_info(detail);
      return json_error(404, "not found in the origin registry" + id);
    case ErrorKind::kUnauthorized:
      log_warning(detail);
      return json_error(401, "the origin registry refused access; check the credentials" + id);
    case ErrorKind::kTimeout:
      log_warning(detail);
      return json_error(504, "the origin registry did not answer in time" + id);
    case ErrorKind::kUnreachable:
      log_warning(detail);
      return json_error(502, "the origin registry could not be read" + id);
    case ErrorKind::kBadResponse:
      log_warning(detail);
      return json_error(502, "the origin registry gave an answer this server cannot use" + id);
    case ErrorKind::kUnavailable:
      log_error(detail);
      return json_error(503, "this service cannot do that right now" + id);
    case ErrorKind::kInvalidInput:
      return json_error(400, error.what());
    case ErrorKind::kConflict:
      return json_error(409, error.what());
    case ErrorKind::kUpstream:
      log_warning(detail);
      return json_error(502, error.what() + id);
    case ErrorKind::kBadPackage:
    case ErrorKind::kCredentials:
    case ErrorKind::kInvalidConfig:
    case ErrorKind::kInternal:
      break;
  }
  log_error(detail);
  return json_error(500, "internal error" + id);
}

namespace {

std::string etag_of(std::string_view source) { return "\"" + sha256_hex(source).substr(0, 32) + "\""; }

Response document_tagged(const Request& request, std::string body, const std::string& etag,
                         std::chrono::seconds max_age, const char* content_type = "application/json") {
  Response r;
  bool credentials = request.headers.has("Authorization");
  r.headers.set("Content-Type", content_type);
  r.headers.set("ETag", etag);
  r.headers.set("Cache-Control", std::string(credentials ? "private" : "public") +
                                     ", max-age=" + std::to_string(max_age.count()));
  r.headers.set("Vary", "Authorization");
  if (if_none_match_hits(request.headers.get("If-None-Match"), etag)) {
    r.status = 304;
    return r;
  }
  r.body = std::move(body);
  return r;
}

}  // namespace

Response json_document(const Request& request, std::string body, const std::string& etag_source,
                       std::chrono::seconds max_age) {
  return document_tagged(request, std::move(body), etag_of(etag_source), max_age);
}

Response json_document(const Request& request, std::string body, std::chrono::seconds max_age) {
  const std::string etag = etag_of(body);
  return document_tagged(request, std::move(body), etag, max_age);
}

Response html_document(const Request& request, std::string body, std::chrono::seconds max_age, int status) {
  const std::string etag = etag_of(body);
  if (status != 200) {  // a 304 confirms a 200 only: an error page is always sent whole
    Request unconditional = request;
    unconditional.headers.set("If-None-Match", "");
    Response r = document_tagged(unconditional, std::move(body), etag, max_age, "text/html; charset=utf-8");
    r.status = status;
    return r;
  }
  return document_tagged(request, std::move(body), etag, max_age, "text/html; charset=utf-8");
}

Response html_page(std::string body) {
  Response r;
  r.headers.set("Content-Type", "text/html; charset=utf-8");
  r.headers.set("Cache-Control", "no-cache");
  r.body = std::move(body);
  return r;
}

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace otr
