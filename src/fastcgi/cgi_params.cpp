#include "fastcgi/cgi_params.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "base/strings.h"

namespace otr {

namespace {

using Params = std::map<std::string, std::string, std::less<>>;

std::optional<std::string> get(const Params& params, std::string_view name) {
  auto it = params.find(name);
  if (it == params.end()) return std::nullopt;
  return it->second;
}

// HTTP_IF_NONE_MATCH -> If-None-Match
std::string header_name(std::string_view cgi_name) {
  std::string out;
  bool upper = true;
  for (char c : cgi_name) {
    if (c == '_') {
      out += '-';
      upper = true;
    } else {
      out += static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c)) : std::tolower(static_cast<unsigned char>(c)));
      upper = false;
    }
  }
  return out;
}

// Re-encodes a decoded path for use as a raw path (only when REQUEST_URI is unusable).
std::string encode_path(std::string_view decoded) { return percent_encode(decoded, "/-._~:@!$&'()*+,;="); }

// "/a/b/c" -> segments (raw), ignoring empty ones at the ends.
std::vector<std::string_view> raw_segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = path.starts_with("/") ? 1 : 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

bool is_top_level(std::string_view segment, const std::vector<std::string>& names) {
  return std::find(names.begin(), names.end(), segment) != names.end();
}

// `prefix` is a segment-wise prefix of `path` ("/mirror" of "/mirror/x" and "/mirror", not "/mirrorX").
bool has_segment_prefix(std::string_view path, std::string_view prefix) {
  return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

std::string sanitized_id(const std::string& id) {
  std::string out;
  for (char c : id.substr(0, 128))
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '@') out += c;
  return out;
}

// A mount point a link may be built from: "" or "/seg/seg" with non-empty segments, no backslash,
// no control characters, no percent sign (the web server has decoded it).
bool is_clean_mount(std::string_view mount) {
  if (mount.empty()) return true;
  if (mount.front() != '/' || mount.back() == '/' || mount.find("//") != std::string_view::npos) return false;
  std::string with_end = std::string(mount) + "/";
  if (with_end.find("/./") != std::string::npos || with_end.find("/../") != std::string::npos) return false;
  return std::none_of(mount.begin(), mount.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f || c == '\\' || c == '%'; });
}

}  // namespace

Request request_from_cgi(const std::vector<std::string_view>& entries, const std::vector<std::string>& names) {
  Params params;
  for (std::string_view entry : entries) {
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    params.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));  // first one wins
  }

  Request r;
  r.method = get(params, "REQUEST_METHOD").value_or("GET");
  std::string script = get(params, "SCRIPT_NAME").value_or("");
  std::string path_info = get(params, "PATH_INFO").value_or("");
  while (script.size() > 1 && script.back() == '/') script.pop_back();
  if (script == "/") script.clear();
  if (!script.empty() && script.front() != '/') {
    r.bad_request = "the web server passed a SCRIPT_NAME that is not a path";
    script.clear();
  }

  std::string raw_path;
  std::string query_from_uri;
  if (auto uri = get(params, "REQUEST_URI"); uri && !uri->empty()) {
    std::string u = *uri;
    if (size_t scheme = u.find("://"); scheme != std::string::npos && u[0] != '/') {  // absolute-form
      size_t path_start = u.find('/', scheme + 3);
      u = path_start == std::string::npos ? "/" : u.substr(path_start);
    }
    size_t q = u.find('?');
    raw_path = u.substr(0, q);
    if (q != std::string::npos) query_from_uri = u.substr(q + 1);
  } else {
    raw_path = encode_path(script + path_info);
  }
  r.query = get(params, "QUERY_STRING").value_or(query_from_uri);

  // The mount point comes from the web server's configuration (SCRIPT_NAME when it split the path
  // with PATH_INFO), never from bytes the client chose: links and redirects are built from it.
  if (!path_info.empty() && !script.empty()) {
    r.mount = script;
    const std::string script_dir = script.substr(0, script.rfind('/'));
    if (has_segment_prefix(raw_path, script)) {
      r.path = raw_path.substr(script.size());
    } else if (has_segment_prefix(raw_path, script_dir)) {
      // Rewritten to a script (shared hosting .htaccess): the client's URL never named it; the
      // application is mounted at the script's directory ("" when it sits at the root).
      r.mount = script_dir;
      r.path = raw_path.substr(script_dir.size());
    } else {
      r.path = encode_path(path_info);
    }
    // The mount's last segment may be the service itself (Alias /mirror, lighttpd "/mirror").
    std::vector<std::string_view> path_segments = raw_segments(r.path);
    size_t last_slash = r.mount.rfind('/');
    std::string_view last = std::string_view(r.mount).substr(last_slash + 1);
    if ((path_segments.empty() || !is_top_level(path_segments[0], names)) && is_top_level(last, names)) {
      r.path = r.mount.substr(last_slash) + r.path;
      r.mount.resize(last_slash);
    }
  } else {
    // nginx's plain fastcgi_params, lighttpd at "/": the whole path is ours.
    r.path = raw_path;
  }
  if (r.path.empty()) r.path = "/";
  if (r.path.front() != '/') {  // "*" (OPTIONS *), "x": a target that is not a path (http/message.h)
    r.bad_request = "the request target is not a path";
    r.path = "/";
  }
  if (!is_clean_mount(r.mount)) {
    r.bad_request = "the web server passed a mount point (SCRIPT_NAME) that cannot be used in links";
    r.mount.clear();
  }

  for (const auto& [name, value] : params) {
    if (name.starts_with("HTTP_") && name.size() > 5) r.headers.add(header_name(name.substr(5)), value);
    if (name == "CONTENT_TYPE" || name == "CONTENT_LENGTH") r.headers.add(header_name(name), value);
  }
  // mod_fcgid's FcgidPassHeader passes the header under its own name.
  if (!r.headers.has("Authorization"))
    if (auto auth = get(params, "Authorization")) r.headers.set("Authorization", *auth);

  r.server_software = get(params, "SERVER_SOFTWARE").value_or("");
  r.remote_addr = get(params, "REMOTE_ADDR").value_or("");
  std::string https = get(params, "HTTPS").value_or("");
  std::string forwarded = get(params, "HTTP_X_FORWARDED_PROTO").value_or("");
  forwarded = forwarded.substr(0, forwarded.find(','));
  const bool behind_proxy = !forwarded.empty() && !(https == "on" || https == "1" || https == "ON");
  if (https == "on" || https == "1" || https == "ON")
    r.scheme = "https";
  else if (behind_proxy)
    r.scheme = forwarded == "https" ? "https" : "http";
  else
    r.scheme = get(params, "REQUEST_SCHEME").value_or("http") == "https" ? "https" : "http";
  // The host as the client reached it, port included: Debian's nginx passes HTTP_HOST as $host,
  // which drops the port (deliberately: the raw Host header is the client's to choose), so the port
  // comes from SERVER_PORT when the host has none and it is not the scheme's default. Behind a proxy
  // that terminates TLS (X-Forwarded-Proto), SERVER_PORT is the web server's, not the client's.
  std::string port = behind_proxy ? "" : get(params, "SERVER_PORT").value_or("");
  const bool default_port = port.empty() || port == (r.scheme == "https" ? "443" : "80");
  if (auto host = get(params, "HTTP_HOST"); host && !host->empty()) {
    const bool has_port = host->back() != ']' && host->find(':') != std::string::npos;
    r.host = *host + (has_port || default_port ? "" : ":" + port);
  } else if (auto server = get(params, "SERVER_NAME")) {
    r.host = *server + (default_port ? "" : ":" + port);
  }
  for (const char* id_param : {"HTTP_X_REQUEST_ID", "UNIQUE_ID", "REQUEST_ID"}) {
    if (auto id = get(params, id_param); id && !id->empty()) {
      r.request_id = sanitized_id(*id);
      break;
    }
  }
  return r;
}

}  // namespace otr
