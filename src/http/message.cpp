#include "http/message.h"

#include <strings.h>

namespace otr {

namespace {
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}
}  // namespace

void Headers::set(std::string name, std::string value) {
  std::erase_if(fields_, [&](const auto& f) { return iequals(f.first, name); });
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

std::string Headers::get(std::string_view name) const {
  for (const auto& [n, v] : fields_)
    if (iequals(n, name)) return v;
  return {};
}

bool Headers::has(std::string_view name) const {
  for (const auto& f : fields_)
    if (iequals(f.first, name)) return true;
  return false;
}

void send(ResponseSink& sink, const Response& response) {
  Headers headers = response.headers;
  if (response.status != 304 && response.status != 204)
    headers.set("Content-Length", std::to_string(response.body.size()));
  sink.start(response.status, headers);
  if (!response.body.empty()) sink.write(response.body);
}

void BufferSink::start(int s, const Headers& h) {
  status = s;
  headers = h;
  started_ = true;
}

bool BufferSink::write(std::string_view data) {
  body.append(data);
  return true;
}

std::string_view status_reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

std::string query_param(const std::string& query, std::string_view name) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    std::string_view item(query.data() + pos, (amp == std::string::npos ? query.size() : amp) - pos);
    if (item.size() > name.size() && item.starts_with(name) && item[name.size()] == '=')
      return std::string(item.substr(name.size() + 1));
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return {};
}

}  // namespace otr
