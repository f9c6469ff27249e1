// Requests to a Handler (the application) without FastCGI: what a front end would hand it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "http/handler.h"
#include "http/message.h"

namespace otr::testing {

struct Answer {
  int status = 0;
  Headers headers;
  std::string body;
};

// `target`: path and optional query ("/mirror/x?token=..."), below `mount`.
inline Answer call(Handler& app, const std::string& target, const std::string& method = "GET",
                   const std::vector<std::pair<std::string, std::string>>& headers = {},
                   const std::string& mount = "") {
  Request r;
  r.method = method;
  size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);
  r.mount = mount;
  r.scheme = "https";
  r.host = "tf.example.com";
  r.request_id = "test-request";
  for (const auto& [name, value] : headers) r.headers.add(name, value);
  BufferSink sink;
  app.handle(r, sink);
  return Answer{sink.status, sink.headers, sink.body};
}

// The first message of a JSON error body ({"errors":["..."]}), "" when there is none.
inline std::string first_error(const Answer& answer) {
  JsonPtr doc = json_parse(answer.body);
  const cJSON* errors = doc ? json_array(doc.get(), "errors") : nullptr;
  const cJSON* first = errors ? cJSON_GetArrayItem(errors, 0) : nullptr;
  return first != nullptr && cJSON_IsString(first) ? first->valuestring : "";
}

}  // namespace otr::testing
