// The configuration schema: what each block and attribute of config.hcl means (see config.h).
#include "config/config.h"

#include <arpa/inet.h>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>

#include "base/file_io.h"
#include "base/hex.h"
#include "base/names.h"
#include "base/strings.h"
#include "config/hcl.h"
#include "config/secret_env.h"

namespace otr {

Seconds parse_duration(const std::string& text) {
  const std::string expected = "expected a duration such as \"30s\", \"5m\", \"1h30m\" or \"500ms\", or a number of seconds";
  const std::string too_long = "longer than the longest duration accepted, " + std::to_string(kMaxDuration.count() / 3600) + "h";
  if (text.empty()) throw std::invalid_argument(expected);
  if (std::all_of(text.begin(), text.end(), ::isdigit)) {
    if (text.size() > 9 || std::stoll(text) > kMaxDuration.count()) throw std::invalid_argument(too_long);
    return Seconds(std::stoll(text));
  }
  long long total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start || i - start > 9) throw std::invalid_argument(expected);
    long long amount = std::stoll(text.substr(start, i - start));
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = text.substr(unit_start, i - unit_start);
    long long factor = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60000 : unit == "h" ? 3600000 : 0;
    if (factor == 0) throw std::invalid_argument(expected);
    // amount * factor < 3.6e15 and the total is checked at every step: no overflow.
    total_ms += amount * factor;
    if (total_ms > kMaxDuration.count() * 1000) throw std::invalid_argument(too_long);
  }
  return Seconds((total_ms + 999) / 1000);
}

namespace {

// Edit distance, for "did you mean" suggestions.
size_t distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t next = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = row[j];
      row[j] = next;
    }
  }
  return row[b.size()];
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : ", ") + ("\"" + names[i] + "\"");
  return out;
}


// The absolute directory of `path` (relative paths in a configuration resolve against it).
std::string directory_of(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(dir, ec);
  return ec ? dir : absolute.lexically_normal().string();
}

constexpr std::size_t kMaxConfigFile = 16u << 20;  // a configuration, or a file one names

// Why `path` cannot be read as a file ("" when it can): missing, unreadable, a directory.
std::string unreadable_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return S_ISDIR(st.st_mode) ? "it is a directory, not a file" : "it is not a regular file";
  if (::access(path.c_str(), R_OK) != 0) return std::strerror(errno);
  return {};
}

// Walks the AST of one file, collecting every problem before anything fails.
class Checker {
 public:
  explicit Checker(const std::string& filename) : filename_(filename), dir_(directory_of(filename)) {}

  std::vector<Diagnostic> diagnostics;
  std::vector<SecretFile> secret_files;  // Config::secret_files
  // The server block's query string secret is unusable and that was reported where it is given: it
  // is not reported again by every service that needs a secret.
  bool secret_reported = false;
  bool has_errors() const { return error_count() > 0; }
  size_t error_count() const {
    return static_cast<size_t>(
        std::count_if(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) { return !d.warning; }));
  }
  void error(const SourcePos& pos, std::string message) { diagnostics.push_back({pos, std::move(message), false}); }
  void warning(const SourcePos& pos, std::string message) { diagnostics.push_back({pos, std::move(message), true}); }

  // Reports every attribute and block of `body` that `where` does not know; false when there was one.
  bool check_names(const hcl::Body& body, const std::string& where, const std::vector<std::string>& attributes,
                   const std::vector<std::string>& blocks) {
    const size_t before = diagnostics.size();
    for (const hcl::Attribute& a : body.attributes) {
      if (std::find(attributes.begin(), attributes.end(), a.name) != attributes.end()) continue;
      bool is_block = std::find(blocks.begin(), blocks.end(), a.name) != blocks.end();
      error(a.pos, is_block ? "\"" + a.name + "\" is a block in " + where + ": write " + a.name + " { ... }"
                            : "unknown attribute \"" + a.name + "\" in " + where + suggestion(a.name, attributes) +
                                  (attributes.empty() ? "" : "; valid attributes: " + quoted_list(attributes)));
    }
    for (const hcl::Block& b : body.blocks) {
      if (std::find(blocks.begin(), blocks.end(), b.type) != blocks.end()) continue;
      bool is_attribute = std::find(attributes.begin(), attributes.end(), b.type) != attributes.end();
      error(b.pos, is_attribute ? "\"" + b.type + "\" is an attribute in " + where + ": write " + b.type + " = ..."
                                : "unknown block \"" + b.type + "\" in " + where + suggestion(b.type, blocks) +
                                      (blocks.empty() ? "" : "; valid blocks: " + quoted_list(blocks)));
    }
    return diagnostics.size() == before;
  }

  static const hcl::Attribute* find(const hcl::Body& body, const char* name) {
    for (const hcl::Attribute& a : body.attributes)
      if (a.name == name) return &a;
    return nullptr;
  }

  std::optional<std::string> string(const hcl::Attribute& a) {
    if (a.value.kind == hcl::Value::Kind::kString) return a.value.string;
    error(a.value.pos, "expected a string for \"" + a.name + "\", found " + a.value.kind_name());
    return std::nullopt;
  }

  std::optional<bool> boolean(const hcl::Attribute& a) {
    if (a.value.kind == hcl::Value::Kind::kBool) return a.value.boolean;
    error(a.value.pos, "expected true or false for \"" + a.name + "\", found " + a.value.kind_name());
    return std::nullopt;
  }

  std::optional<long long> integer(const hcl::Attribute& a, long long min, long long max) {
    const hcl::Value& v = a.value;
    bool whole = v.kind == hcl::Value::Kind::kNumber &&
                 v.number_text.find_first_of(".eE") == std::string::npos && v.number_text.size() < 15;
    if (!whole) {
      error(v.pos, "expected a whole number for \"" + a.name + "\", found " +
                       (v.kind == hcl::Value::Kind::kNumber ? "\"" + v.number_text + "\"" : v.kind_name()));
      return std::nullopt;
    }
    long long n = std::stoll(v.number_text);
    if (n < min || n > max) {
      error(v.pos, "\"" + a.name + "\" must be between " + std::to_string(min) + " and " + std::to_string(max) +
                       ", not " + v.number_text);
      return std::nullopt;
    }
    return n;
  }

  std::optional<Seconds> duration(const hcl::Attribute& a) {
    const hcl::Value& v = a.value;
    std::string text;
    if (v.kind == hcl::Value::Kind::kNumber) {
      text = v.number_text;
    } else if (v.kind == hcl::Value::Kind::kString) {
      text = v.string;
    } else {
      error(v.pos, "expected a duration (\"30s\", \"5m\", or a number of seconds) for \"" + a.name + "\", found " +
                       v.kind_name());
      return std::nullopt;
    }
    try {
      return parse_duration(text);
    } catch (const std::exception& e) {
      error(v.pos, "invalid duration \"" + text + "\" for \"" + a.name + "\": " + e.what());
      return std::nullopt;
    }
  }

  std::optional<std::size_t> byte_size(const hcl::Attribute& a) {
    const hcl::Value& v = a.value;
    std::string text = v.kind == hcl::Value::Kind::kNumber ? v.number_text
                       : v.kind == hcl::Value::Kind::kString ? v.string
                                                             : std::string();
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    std::string unit = text.substr(digits);
    unsigned long long factor = unit.empty() || unit == "B" ? 1 : unit == "KiB" ? 1ull << 10 : unit == "MiB" ? 1ull << 20
                                : unit == "GiB" ? 1ull << 30 : 0;
    if (digits == 0 || digits > 12 || factor == 0) {
      error(v.pos, "expected a size such as 33554432, \"64KiB\", \"32MiB\" or \"1GiB\" for \"" + a.name + "\"");
      return std::nullopt;
    }
    unsigned long long amount = std::stoull(text.substr(0, digits));  // < 10^12: amount * 2^30 fits
    if (amount * factor > kMaxByteSize) {
      error(v.pos, "\"" + a.name + "\" is larger than " + std::to_string(kMaxByteSize >> 30) + "GiB");
      return std::nullopt;
    }
    return static_cast<std::size_t>(amount * factor);
  }

  // The trimmed contents of a file named by a *_file attribute (relative to the config's directory).
  std::optional<std::string> file_contents(const hcl::Attribute& a) {
    std::optional<std::string> full = readable_path(a);
    if (!full) return std::nullopt;
    std::string text;
    try {
      text = read_file_limited(*full, kMaxConfigFile, "the file");
    } catch (const Error& e) {
      error(a.value.pos, "cannot read \"" + *full + "\" named by \"" + a.name + "\": " + e.what());
      return std::nullopt;
    }
    secret_files.push_back({*full, a.name, a.value.pos});  // every file read here holds a secret
    std::string value = trim(text);
    if (value.empty()) {
      error(a.value.pos, "the file \"" + *full + "\" named by \"" + a.name + "\" is empty");
      return std::nullopt;
    }
    return value;
  }

  // The absolute path of a readable file named by `a` (relative to the config's directory).
  std::optional<std::string> readable_path(const hcl::Attribute& a) {
    auto path = string(a);
    if (!path) return std::nullopt;
    std::string full = !path->empty() && (*path)[0] == '/' ? *path : dir_ + "/" + *path;
    if (std::string why = unreadable_file(full); !why.empty()) {
      error(a.value.pos, "cannot read \"" + full + "\" named by \"" + a.name + "\": " + why);
      return std::nullopt;
    }
    return full;
  }

  // The value of an environment variable named by a *_env attribute.
  std::optional<std::string> env_value(const hcl::Attribute& a) {
    auto name = string(a);
    if (!name) return std::nullopt;
    std::optional<std::string> value = take_secret_env(*name);  // children never inherit it
    if (!value) {
      error(a.value.pos, "the environment variable \"" + *name + "\" named by \"" + a.name + "\" is not set");
      return std::nullopt;
    }
    return value;
  }

 private:
  static std::string suggestion(const std::string& name, const std::vector<std::string>& candidates) {
    std::string best;
    size_t best_distance = 3;
    for (const std::string& c : candidates) {
      size_t d = distance(name, c);
      if (d < best_distance && d <= std::max<size_t>(1, c.size() / 3)) {
        best = c;
        best_distance = d;
      }
    }
    // A shortened name ("user" for "username", "secret_file" for "query_string_secret_file"), when
    // only one name fits.
    if (best.empty() && name.size() >= 4) {
      size_t fitting = 0;
      for (const std::string& c : candidates)
        if (c.starts_with(name) || c.ends_with(name)) {
          best = c;
          ++fitting;
        }
      if (fitting != 1) best.clear();
    }
    return best.empty() ? "" : " (did you mean \"" + best + "\"?)";
  }

  std::string filename_;
  std::string dir_;
};

const std::vector<std::string> kServerAttributes = {
    "listen_addr",       "socket_mode",      "socket_owner",            "socket_group",
    "query_string_secret",     "query_string_secret_file",
    "worker_processes",  "worker_threads",   "max_requests_per_worker", "shutdown_timeout",
    "package_url_ttl",   "tags_cache_ttl",   "stale_while_revalidate", "stale_if_error", "manifest_cache_size",
    "log_format",        "metrics",          "metrics_allow",           "metrics_token_file", "metrics_token_env",
    "connect_timeout",   "request_timeout",  "download_stall_timeout",  "origin_ca_file"};
const std::vector<std::string> kMirrorAttributes = {"origin_url",      "name_prefix",     "proxy_packages",
                                                    "host_aliases",    "connect_timeout", "request_timeout",
                                                    "download_stall_timeout", "origin_ca_file", "download_offload", "offload_location"};
const std::vector<std::string> kProviderRegistryAttributes = {
    "origin_url",      "name_prefix",      "hostname",        "proxy_packages",         "signing_key_file",
    "signing_key_passphrase_file", "signing_key_passphrase_env", "connect_timeout", "request_timeout",
    "download_stall_timeout", "origin_ca_file", "download_offload", "offload_location"};
const std::vector<std::string> kModuleRegistryAttributes = {"origin_url",      "name_prefix",     "proxy_packages",
                                                            "connect_timeout", "request_timeout",
                                                            "download_stall_timeout", "origin_ca_file", "download_offload", "offload_location"};
const std::vector<std::string> kCredentialAttributes = {"username", "password",   "password_file", "password_env",
                                                        "token",    "token_file", "token_env"};

const std::vector<std::string> kUpstreamAttributes = {
    "url",          "hostnames",      "namespaces", "exclude_namespaces", "platforms",        "versions_ttl",
    "import_timeout", "max_package_size", "ca_file",
    "allow_private_addresses"};

// A list of strings, each checked by `valid` (which returns the value to keep, or nullopt after
// reporting nothing: the caller's `expected` names what each item must be).
template <class Valid>
std::vector<std::string> string_list(Checker& check, const hcl::Attribute& a, const std::string& expected, Valid valid) {
  std::vector<std::string> out;
  if (a.value.kind != hcl::Value::Kind::kTuple) {
    check.error(a.value.pos, "expected a list of " + expected + " for \"" + a.name + "\", found " + a.value.kind_name());
    return out;
  }
  for (const hcl::Value& item : a.value.items) {
    std::optional<std::string> kept;
    if (item.kind == hcl::Value::Kind::kString) kept = valid(item.string);
    if (!kept) {
      check.error(item.pos, "every item of \"" + a.name + "\" must be " + expected);
      continue;
    }
    if (std::find(out.begin(), out.end(), *kept) == out.end()) out.push_back(*kept);
  }
  return out;
}

// "10.0.0.0/8", "::1/128", or an address alone (a /32 or /128).
bool valid_cidr(const std::string& text) {
  std::string address = text.substr(0, text.find('/'));
  unsigned char bytes[16];
  const bool v4 = inet_pton(AF_INET, address.c_str(), bytes) == 1;
  const bool v6 = !v4 && inet_pton(AF_INET6, address.c_str(), bytes) == 1;
  if (!v4 && !v6) return false;
  if (text.find('/') == std::string::npos) return true;
  std::string bits = text.substr(text.find('/') + 1);
  if (bits.empty() || bits.size() > 3 || !std::all_of(bits.begin(), bits.end(), ::isdigit)) return false;
  return std::stoi(bits) <= (v4 ? 32 : 128);
}

bool valid_listen_addr(const std::string& addr) {
  if (addr.starts_with("unix:")) {
    std::string path = addr.substr(5);
    return path.size() > 1 && path[0] == '/' && path.size() < 108;
  }
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string host = addr.substr(0, colon), port = addr.substr(colon + 1);
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) || std::stoi(port) < 1 ||
      std::stoi(port) > 65535)
    return false;
  if (host.front() == '[') return host.back() == ']' && host.size() > 2;
  return std::all_of(host.begin(), host.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'; });
}

// Applies the timeout and TLS attributes of `body` onto `settings`.
void read_origin_settings(Checker& check, const hcl::Body& body, OriginSettings& settings) {
  if (auto* a = Checker::find(body, "connect_timeout"))
    if (auto d = check.duration(*a)) settings.connect_timeout = std::max(*d, Seconds(1));
  if (auto* a = Checker::find(body, "request_timeout"))
    if (auto d = check.duration(*a)) settings.request_timeout = std::max(*d, Seconds(1));
  if (auto* a = Checker::find(body, "download_stall_timeout"))
    if (auto d = check.duration(*a)) settings.download_stall_timeout = std::max(*d, Seconds(1));
  if (auto* a = Checker::find(body, "origin_ca_file"))
    if (auto path = check.readable_path(*a)) settings.ca_file = *path;
}

void read_server(Checker& check, const hcl::Block& block, ServerConfig& server) {
  const hcl::Body& body = block.body;
  check.check_names(body, "the server block", kServerAttributes, {"tls"});
  if (!block.labels.empty()) check.error(block.pos, "the server block takes no labels");
  if (auto* a = Checker::find(body, "listen_addr")) {
    if (auto v = check.string(*a)) {
      if (valid_listen_addr(*v))
        server.listen_addr = *v;
      else
        check.error(a->value.pos, "invalid listen_addr \"" + *v + "\": expected \"host:port\", \"[ipv6]:port\" or "
                                  "\"unix:/absolute/path\"");
    }
  }
  // A name, or a number as php-fpm takes too.
  auto id_of = [&](const char* attribute, const char* what, auto lookup) -> long {
    const hcl::Attribute* a = Checker::find(body, attribute);
    if (a == nullptr) return -1;
    std::optional<std::string> name = check.string(*a);
    if (!name) return -1;
    if (!name->empty() && name->size() <= 9 && std::all_of(name->begin(), name->end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      return std::stol(*name);
    if (std::optional<long> id = lookup(*name)) return *id;
    check.error(a->value.pos, std::string(attribute) + ": there is no " + what + " \"" + *name + "\" on this machine");
    return -1;
  };
  server.socket_uid = id_of("socket_owner", "user", [](const std::string& name) -> std::optional<long> {
    if (const passwd* user = ::getpwnam(name.c_str())) return static_cast<long>(user->pw_uid);
    return std::nullopt;
  });
  server.socket_gid = id_of("socket_group", "group", [](const std::string& name) -> std::optional<long> {
    if (const group* g = ::getgrnam(name.c_str())) return static_cast<long>(g->gr_gid);
    return std::nullopt;
  });
  if ((server.socket_uid >= 0 || server.socket_gid >= 0) && !server.listen_addr.starts_with("unix:"))
    check.warning(block.pos, "socket_owner and socket_group apply to a unix socket (listen_addr = \"unix:/...\"); "
                             "they are ignored for " + server.listen_addr);
  if (auto* a = Checker::find(body, "socket_mode")) {
    const hcl::Value& v = a->value;
    std::string text = v.kind == hcl::Value::Kind::kString ? v.string : v.number_text;
    bool octal = !text.empty() && text.size() <= 4 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; });
    if (octal && (v.kind == hcl::Value::Kind::kString || v.kind == hcl::Value::Kind::kNumber))
      server.socket_mode = static_cast<unsigned>(std::stoul(text, nullptr, 8));
    else
      check.error(v.pos, "expected octal permissions such as \"0660\" for \"socket_mode\"");
  }
  if (auto* a = Checker::find(body, "worker_processes"))
    if (auto n = check.integer(*a, 1, 256)) server.worker_processes = static_cast<int>(*n);
  if (auto* a = Checker::find(body, "worker_threads"))
    if (auto n = check.integer(*a, 1, 1024)) server.worker_threads = static_cast<int>(*n);
  if (auto* a = Checker::find(body, "max_requests_per_worker"))
    if (auto n = check.integer(*a, 0, 1000000000000LL)) server.max_requests_per_worker = static_cast<long>(*n);
  if (auto* a = Checker::find(body, "shutdown_timeout"))
    if (auto d = check.duration(*a)) server.shutdown_timeout = *d;
  if (auto* a = Checker::find(body, "package_url_ttl")) {
    if (auto d = check.duration(*a)) {
      if (*d < Seconds(60))
        check.error(a->value.pos, "package_url_ttl must be at least 60s: clients download right after asking");
      else
        server.package_url_ttl = *d;
    }
  }
  if (auto* a = Checker::find(body, "tags_cache_ttl"))
    if (auto d = check.duration(*a)) server.tags_cache_ttl = *d;
  const hcl::Attribute* metrics = Checker::find(body, "metrics");
  if (metrics)
    if (auto b = check.boolean(*metrics)) server.metrics = *b;
  if (auto* a = Checker::find(body, "metrics_allow")) {
    server.metrics_allow = string_list(check, *a, "an address range such as \"10.0.0.0/8\" or \"::1/128\"",
                                       [](const std::string& text) -> std::optional<std::string> {
                                         return valid_cidr(text) ? std::optional(text) : std::nullopt;
                                       });
  }
  const hcl::Attribute* token_file = Checker::find(body, "metrics_token_file");
  const hcl::Attribute* token_env = Checker::find(body, "metrics_token_env");
  if (token_file && token_env) check.error(token_env->pos, "set either metrics_token_file or metrics_token_env, not both");
  else if (token_file) {
    if (auto v = check.file_contents(*token_file)) server.metrics_token = *v;
  } else if (token_env) {
    if (auto v = check.env_value(*token_env)) server.metrics_token = *v;
  }
  if (server.metrics && server.metrics_allow.empty() && !token_file && !token_env)
    check.warning(metrics->value.pos, "metrics = true, but neither metrics_allow nor metrics_token_file / "
                                      "metrics_token_env is set: every GET /metrics is refused (403). Loopback is "
                                      "not allowed by default: behind a local TLS terminator or tunnel every client "
                                      "is loopback (README \"Metrics\")");
  if (auto* a = Checker::find(body, "stale_while_revalidate"))
    if (auto d = check.duration(*a)) server.stale_while_revalidate = *d;
  if (auto* a = Checker::find(body, "stale_if_error"))
    if (auto d = check.duration(*a)) server.stale_if_error = *d;
  if (auto* a = Checker::find(body, "manifest_cache_size"))
    if (auto n = check.byte_size(*a)) server.manifest_cache_bytes = *n;
  if (auto* a = Checker::find(body, "log_format")) {
    if (auto v = check.string(*a)) {
      if (*v == "text")
        server.log_format = LogFormat::kText;
      else if (*v == "json")
        server.log_format = LogFormat::kJson;
      else
        check.error(a->value.pos, "log_format must be \"text\" or \"json\", not \"" + *v + "\"");
    }
  }
  read_origin_settings(check, body, server.origin);
  for (const hcl::Block& tls : body.blocks) {
    if (tls.type != "tls") continue;
    check.check_names(tls.body, "the tls block", {"certificate_file", "private_key_file"}, {});
    check.warning(tls.pos, "the tls block is ignored: TLS belongs to the web server in front of this FastCGI "
                           "application (see README, \"Web servers\")");
  }
}

// The query string secret, from the server block's attribute or file, else the environment; never
// echoed. A problem with it is reported once, here (Checker::secret_reported).
void read_query_string_secret(Checker& check, const hcl::Block* block, const std::string& filename,
                              ServerConfig& server) {
  const hcl::Attribute* inline_secret = block ? Checker::find(block->body, "query_string_secret") : nullptr;
  const hcl::Attribute* secret_file = block ? Checker::find(block->body, "query_string_secret_file") : nullptr;
  const size_t errors_before = check.error_count();
  std::optional<std::string> hex;
  SourcePos where = block ? block->pos : SourcePos{filename, 0, 0};
  std::string source;
  if (inline_secret && secret_file) {
    check.error(secret_file->pos, "set either query_string_secret or query_string_secret_file, not both");
  } else if (inline_secret) {
    hex = check.string(*inline_secret);
    where = inline_secret->value.pos;
    source = "query_string_secret";
  } else if (secret_file) {
    // One secret per line: the first seals, the others (rotated out) still open what they sealed.
    if (auto text = check.file_contents(*secret_file)) {
      std::vector<std::pair<int, std::string>> lines;  // line number, secret
      std::istringstream in(*text);
      int number = 0;
      for (std::string line; std::getline(in, line);) {
        ++number;
        line = trim(line);
        if (!line.empty() && line[0] != '#') lines.emplace_back(number, line);
      }
      for (size_t i = 1; i < lines.size(); ++i) {
        if (auto key = decode_hex_key(lines[i].second))
          server.retired_query_string_secrets.push_back(*key);
        else
          check.error(secret_file->value.pos, "line " + std::to_string(lines[i].first) + " of the file named by "
                                              "query_string_secret_file is not 64 hex digits");
      }
      if (lines.empty())
        check.error(secret_file->value.pos, "the file named by query_string_secret_file holds no secret: write "
                                            "64 hex digits on its first line (openssl rand -hex 32)");
      else
        hex = lines[0].second;
    }
    where = secret_file->value.pos;
    source = "the file named by query_string_secret_file";
  }
  if (hex) {
    if (auto key = decode_hex_key(trim(*hex))) {
      server.query_string_secret = *key;
    } else {
      check.error(where, source + " must be 64 hex digits (32 random bytes); generate one with: openssl rand -hex 32");
    }
  }
  // Taken out of the environment even when the file gives the secret: the variable is ours by name.
  std::optional<std::string> env = take_secret_env(kSecretEnvVar);
  if (env && !inline_secret && !secret_file) {
    if (auto key = decode_hex_key(trim(*env)))
      server.query_string_secret = *key;
    else
      check.error({filename, 0, 0}, std::string("the environment variable ") + kSecretEnvVar +
                                        " must hold 64 hex digits; generate them with: openssl rand -hex 32");
  }
  check.secret_reported = check.error_count() > errors_before;
  if (!server.query_string_secret.empty() && server.query_string_secret == std::string(32, '\0'))
    check.warning(where, "the query string secret is all zeros: anyone can forge download URLs; generate a secret "
                         "with openssl rand -hex 32");
}

void read_credentials(Checker& check, const hcl::Block& block, OriginCredentials& creds) {
  const hcl::Body& body = block.body;
  const std::string& kind = block.type;  // origin_credentials, write_credentials
  // An unknown name is the problem to report; what it would cascade into ("a password but no
  // username" for a misspelt username) is not.
  if (!check.check_names(body, "the " + kind + " block", kCredentialAttributes, {})) return;
  if (!block.labels.empty()) check.error(block.pos, "the " + kind + " block takes no labels");
  auto value_of = [&](const char* literal, const char* file, const char* env, int& sources) -> std::optional<std::string> {
    std::optional<std::string> value;
    if (auto* a = Checker::find(body, literal)) ++sources, value = check.string(*a);
    if (auto* a = Checker::find(body, file)) ++sources, value = check.file_contents(*a);
    if (auto* a = Checker::find(body, env)) ++sources, value = check.env_value(*a);
    return value;
  };
  int password_sources = 0, token_sources = 0;
  auto password = value_of("password", "password_file", "password_env", password_sources);
  auto token = value_of("token", "token_file", "token_env", token_sources);
  const hcl::Attribute* username = Checker::find(body, "username");
  if (token_sources > 0) {
    if (token_sources > 1) check.error(block.pos, "set only one of token, token_file and token_env");
    if (username || password_sources > 0)
      check.error(block.pos, kind + " takes either a token or a username and password, not both");
    if (token) creds.token = *token;
    return;
  }
  if (!username) {
    check.error(block.pos, password_sources > 0 ? kind + " has a password but no username"
                                                        : kind + " needs a username and a password (password, "
                                                  "password_file or password_env), or a token");
    return;
  }
  if (auto u = check.string(*username)) creds.username = *u;
  if (password_sources != 1) {
    check.error(block.pos, password_sources == 0 ? kind + " has a username but no password, password_file or password_env"
                                                         : std::string("set only one of password, password_file and password_env"));
    return;
  }
  if (password) creds.password = *password;
}

// download_offload and offload_location (checked against the origin once it is known).
void read_offload(Checker& check, const hcl::Body& body, ServiceConfig& service) {
  const hcl::Attribute* offload = Checker::find(body, "download_offload");
  if (offload) {
    if (auto v = check.string(*offload)) {
      if (*v == "x-accel-redirect") service.download_offload = DownloadOffload::kAccelRedirect;
      else if (*v == "x-sendfile") service.download_offload = DownloadOffload::kSendfile;
      else if (*v == "" || *v == "off") service.download_offload = DownloadOffload::kNone;
      else
        check.error(offload->value.pos, "download_offload must be \"x-accel-redirect\" (nginx), \"x-sendfile\" "
                                        "(lighttpd, Apache with mod_xsendfile) or \"off\", not \"" + *v + "\"");
    }
  }
  if (auto* a = Checker::find(body, "offload_location")) {
    if (auto v = check.string(*a)) {
      std::string l = *v;
      while (l.size() > 1 && l.ends_with("/")) l.pop_back();
      if (!l.starts_with("/") || l.size() < 2 || l.find_first_of("?#% \t\r\n") != std::string::npos)
        check.error(a->value.pos, "offload_location must be a path such as \"/_oci_offload\" (nginx's internal "
                                  "location), not \"" + *v + "\"");
      else
        service.offload_location = l;
    }
  }
}

// Reads what every service block has: origin_url, name_prefix, proxy_packages, timeouts and
// origin_credentials. `what` names the block in messages ("provider_mirror \"x\"").
void read_service_origin(Checker& check, const hcl::Block& block, const ServerConfig& server, const std::string& what,
                         ServiceConfig& service) {
  const hcl::Body& body = block.body;
  service.pos = block.pos;
  service.origin = server.origin;
  if (auto* a = Checker::find(body, "origin_url")) {
    if (auto url = check.string(*a)) {
      std::string u = *url;
      size_t scheme_end = u.find("://");
      std::string scheme = scheme_end == std::string::npos ? "" : u.substr(0, scheme_end);
      std::string rest = scheme_end == std::string::npos ? "" : u.substr(scheme_end + 3);
      std::string authority = rest.substr(0, rest.find('/'));
      if (scheme == "file") {
        // An OCI image layout directory: file:///absolute/path (no host).
        if (!rest.starts_with("/") || rest.find_first_of("?#") != std::string::npos) {
          check.error(a->value.pos, "origin_url: an OCI image layout directory is given as file:///absolute/path, "
                                    "not \"" + u + "\"");
        } else {
          while (rest.size() > 1 && rest.ends_with("/")) rest.pop_back();
          service.origin_url = "file://" + rest;
          struct stat st {};
          if (::stat(rest.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            check.warning(a->value.pos, "origin_url names the OCI image layout directory \"" + rest +
                                            "\", which does not exist (yet): every request will fail until it does "
                                            "(push --service " + service.name + " creates it)");
        }
      } else if ((scheme != "http" && scheme != "https") || authority.empty()) {
        check.error(a->value.pos, "origin_url must be an http:// or https:// URL of an OCI Distribution registry, "
                                  "not \"" + u + "\"");
      } else if (authority.find('@') != std::string::npos) {
        check.error(a->value.pos, "origin_url must not contain credentials; use an origin_credentials block");
      } else if (rest.find_first_of("?#") != std::string::npos) {
        check.error(a->value.pos, "origin_url must not have a query string or fragment");
      } else {
        while (u.ends_with("/")) u.pop_back();
        std::string path = rest.substr(authority.size());
        while (path.ends_with("/")) path.pop_back();
        if (path == "/v2" || path.ends_with("/v2") || path.find("/v2/") != std::string::npos) {
          check.error(a->value.pos, "origin_url is the registry's root, without the API path: write \"" +
                                        scheme + "://" + authority + path.substr(0, path.rfind("/v2")) +
                                        "\" (this program adds /v2/... itself)");
        } else {
          if (!path.empty())
            check.warning(a->value.pos, "origin_url has a path: requests go to " + u + "/v2/...; most registries "
                                            "answer at the root (\"" + scheme + "://" + authority + "\")");
          service.origin_url = u;
        }
      }
    }
  } else {
    check.error(block.pos, what + " needs an origin_url");
  }
  if (auto* a = Checker::find(body, "name_prefix")) {
    if (auto prefix = check.string(*a)) {
      std::string p = *prefix;
      while (p.starts_with("/")) p.erase(0, 1);
      while (p.ends_with("/")) p.pop_back();
      if (!p.empty() && !is_valid_repository(p))
        check.error(a->value.pos, "name_prefix \"" + *prefix + "\" is not a valid OCI repository path (lower-case "
                                  "letters, digits and . _ - separators, components joined by /)");
      else
        service.name_prefix = p;
    }
  }
  if (auto* a = Checker::find(body, "proxy_packages"))
    if (auto b = check.boolean(*a)) service.proxy_packages = *b;
  read_offload(check, body, service);
  read_origin_settings(check, body, service.origin);
  bool seen_credentials = false;
  for (const hcl::Block& b : body.blocks) {
    if (b.type != "origin_credentials") continue;
    if (seen_credentials) check.error(b.pos, "origin_credentials is already set in this " + what);
    seen_credentials = true;
    read_credentials(check, b, service.credentials);
  }
  if (service.origin_url.starts_with("file://")) {
    // A layout on disk has no URL of its own for clients: every download goes through this server.
    const hcl::Attribute* a = Checker::find(body, "proxy_packages");
    if (a && !service.proxy_packages)
      check.error(a->value.pos, "proxy_packages = false cannot work with a file:// origin: packages in an OCI "
                                "image layout are only reachable through this server");
    else if (server.query_string_secret.empty() && !check.secret_reported)
      check.error(block.pos, "a file:// origin serves downloads through this server, which needs "
                             "server.query_string_secret (or query_string_secret_file, or the environment variable " +
                                 std::string(kSecretEnvVar) + ") to seal download URLs");
    service.proxy_packages = true;
  } else if (service.download_offload == DownloadOffload::kSendfile) {
    check.error(block.pos, "download_offload = \"x-sendfile\" serves the blob files of an OCI image layout "
                           "(origin_url = \"file:///...\"); for a registry origin use \"x-accel-redirect\" with nginx");
  } else if (service.download_offload != DownloadOffload::kNone && !service.proxy_packages) {
    check.error(block.pos, "download_offload applies to proxied downloads: set proxy_packages = true");
  } else if (service.proxy_packages && server.query_string_secret.empty() && !check.secret_reported) {
    const hcl::Attribute* a = Checker::find(body, "proxy_packages");
    check.error(a ? a->value.pos : block.pos,
                "proxy_packages = true needs server.query_string_secret (or query_string_secret_file, or the "
                "environment variable " + std::string(kSecretEnvVar) + ") to seal download URLs");
  }
}

// upstream { ... } of a provider_mirror or provider_registry.
void read_upstream(Checker& check, const hcl::Block& block, ServiceConfig& service) {
  const hcl::Body& body = block.body;
  UpstreamConfig& up = service.upstream;
  up.pos = block.pos;
  if (!block.labels.empty()) check.error(block.pos, "the upstream block takes no labels");
  check.check_names(body, "the upstream block", kUpstreamAttributes, {"write_credentials"});
  std::string host;
  if (auto* a = Checker::find(body, "url")) {
    if (auto url = check.string(*a)) {
      std::string u = *url;
      while (u.ends_with("/")) u.pop_back();
      const bool https = u.starts_with("https://"), http = u.starts_with("http://");
      std::string rest = u.substr(https ? 8 : http ? 7 : 0);
      std::string authority = rest.substr(0, rest.find('/'));
      host = to_lower(authority.starts_with("[") ? authority : authority.substr(0, authority.find(':')));
      if (!https && !http)
        check.error(a->value.pos, "upstream url must be the https:// URL of a provider registry (its "
                                  "/.well-known/terraform.json is read), not \"" + u + "\"");
      else if (authority.empty() || authority.find('@') != std::string::npos ||
               rest.find_first_of("?#") != std::string::npos)
        check.error(a->value.pos, "upstream url must be https://host[:port][/path], without credentials, query or "
                                  "fragment, not \"" + u + "\"");
      else
        up.url = u;
      if (http && !up.url.empty())
        check.warning(a->value.pos, "the upstream is reached over plain http: its answers can be altered on the way "
                                    "(signatures are still checked)");
    }
  } else {
    check.error(block.pos, "the upstream block needs a url: the provider registry to import from, e.g. "
                           "\"https://registry.terraform.io\"");
  }
  auto hostname = [](const std::string& h) -> std::optional<std::string> {
    std::string l = to_lower(h);
    return hostname_to_component(l) ? std::optional(l) : std::nullopt;
  };
  auto name = [](const std::string& n) -> std::optional<std::string> {
    std::string l = to_lower(n);
    return !l.empty() && is_valid_repository(l) && l.find('/') == std::string::npos ? std::optional(l) : std::nullopt;
  };
  auto platform = [](const std::string& p) -> std::optional<std::string> {
    std::string l = to_lower(p);
    size_t underscore = l.find('_');
    if (underscore == std::string::npos) return std::nullopt;
    return is_platform_word(std::string_view(l).substr(0, underscore)) &&
                   is_platform_word(std::string_view(l).substr(underscore + 1))
               ? std::optional(l) : std::nullopt;
  };
  if (auto* a = Checker::find(body, "hostnames")) up.hostnames = string_list(check, *a, "a hostname", hostname);
  else if (!host.empty()) up.hostnames = {host};
  if (auto* a = Checker::find(body, "namespaces")) up.namespaces = string_list(check, *a, "a provider namespace", name);
  if (auto* a = Checker::find(body, "exclude_namespaces"))
    up.exclude_namespaces = string_list(check, *a, "a provider namespace", name);
  if (auto* a = Checker::find(body, "platforms"))
    up.platforms = string_list(check, *a, "a platform such as \"linux_amd64\"", platform);
  if (auto* a = Checker::find(body, "versions_ttl"))
    if (auto d = check.duration(*a)) up.versions_ttl = *d;
  if (auto* a = Checker::find(body, "import_timeout"))
    if (auto d = check.duration(*a)) up.import_timeout = std::max(*d, Seconds(1));
  if (auto* a = Checker::find(body, "max_package_size"))
    if (auto n = check.byte_size(*a)) up.max_package_bytes = *n;
  if (auto* a = Checker::find(body, "ca_file"))
    if (auto path = check.readable_path(*a)) up.ca_file = *path;
  if (auto* a = Checker::find(body, "allow_private_addresses"))
    if (auto b = check.boolean(*a)) up.allow_private_addresses = *b;
  up.write_credentials = service.credentials;
  bool seen = false;
  for (const hcl::Block& b : body.blocks) {
    if (b.type != "write_credentials") continue;
    if (seen) check.error(b.pos, "write_credentials is already set in this upstream block");
    seen = true;
    up.write_credentials = OriginCredentials{};
    read_credentials(check, b, up.write_credentials);
  }
  if (service.origin_url.empty() && up.enabled())
    check.error(block.pos, "pull-through needs the origin_url of the registry to import into");
}

// The upstream blocks of `body` (at most one).
void read_upstreams(Checker& check, const hcl::Body& body, const std::string& what, ServiceConfig& service) {
  bool seen = false;
  for (const hcl::Block& b : body.blocks) {
    if (b.type != "upstream") continue;
    if (seen) check.error(b.pos, "upstream is already set in this " + what + " (one upstream per service)");
    seen = true;
    read_upstream(check, b, service);
  }
}

void read_mirror(Checker& check, const hcl::Block& block, const ServerConfig& server, ProviderMirrorConfig& mirror) {
  const hcl::Body& body = block.body;
  std::string what = "provider_mirror \"" + mirror.name + "\"";
  check.check_names(body, what, kMirrorAttributes, {"origin_credentials", "upstream"});
  read_service_origin(check, block, server, what, mirror);
  read_upstreams(check, body, what, mirror);
  if (auto* a = Checker::find(body, "host_aliases")) {
    if (a->value.kind != hcl::Value::Kind::kObject) {
      check.error(a->value.pos, std::string("expected an object of hostnames for \"host_aliases\", found ") +
                                    a->value.kind_name());
    } else {
      for (const hcl::ObjectMember& m : a->value.members) {
        std::string from = to_lower(m.key);
        if (!hostname_to_component(from)) check.error(m.key_pos, "\"" + m.key + "\" is not a hostname");
        if (m.value.kind != hcl::Value::Kind::kString || !hostname_to_component(m.value.string)) {
          check.error(m.value.pos, "the alias of \"" + m.key + "\" must be a hostname string");
          continue;
        }
        std::string to = to_lower(m.value.string);
        mirror.host_aliases[from] = to;
      }
    }
  }
}

void read_provider_registry(Checker& check, const hcl::Block& block, const ServerConfig& server,
                            ProviderRegistryConfig& registry) {
  const hcl::Body& body = block.body;
  std::string what = "provider_registry \"" + registry.name + "\"";
  check.check_names(body, what, kProviderRegistryAttributes, {"origin_credentials", "upstream"});
  read_service_origin(check, block, server, what, registry);
  read_upstreams(check, body, what, registry);
  if (auto* a = Checker::find(body, "hostname")) {
    if (auto host = check.string(*a)) {
      std::string h = to_lower(*host);
      if (!h.empty() && !hostname_to_component(h))
        check.error(a->value.pos, "\"" + *host + "\" is not a hostname (or \"\" for none)");
      else
        registry.hostname = h;
    }
  }
  if (auto* a = Checker::find(body, "signing_key_file")) {
    registry.signing_key_pos = a->value.pos;
    if (auto path = check.readable_path(*a)) {
      registry.signing_key_file = *path;
      check.secret_files.push_back({*path, a->name, a->value.pos});
    }
  } else {
    check.error(block.pos, what + " needs a signing_key_file: an OpenPGP secret key to sign SHA256SUMS with "
                                  "(gpg --export-secret-keys KEYID > key.gpg)");
  }
  const hcl::Attribute* pass_file = Checker::find(body, "signing_key_passphrase_file");
  const hcl::Attribute* pass_env = Checker::find(body, "signing_key_passphrase_env");
  if (pass_file && pass_env) {
    check.error(pass_env->pos, "set either signing_key_passphrase_file or signing_key_passphrase_env, not both");
  } else if (pass_file) {
    if (auto v = check.file_contents(*pass_file)) registry.signing_key_passphrase = *v;
  } else if (pass_env) {
    if (auto v = check.env_value(*pass_env)) registry.signing_key_passphrase = *v;
  }
  const UpstreamConfig& up = registry.upstream;
  if (up.enabled() && std::find(up.hostnames.begin(), up.hostnames.end(),
                                registry.hostname.empty() ? std::string("registry.terraform.io") : registry.hostname) ==
                          up.hostnames.end())
    check.warning(up.pos, "the upstream serves " + (up.hostnames.empty() ? std::string("no hostname")
                                                                         : "hostnames " + quoted_list(up.hostnames)) +
                              ", not this registry's hostname \"" + registry.hostname +
                              "\": nothing will be imported (add it to hostnames)");
}

void read_module_registry(Checker& check, const hcl::Block& block, const ServerConfig& server,
                          ModuleRegistryConfig& registry) {
  std::string what = "module_registry \"" + registry.name + "\"";
  check.check_names(block.body, what, kModuleRegistryAttributes, {"origin_credentials"});
  read_service_origin(check, block, server, what, registry);
}

bool valid_service_name(const std::string& name) {
  if (name.empty() || name == "healthz" || name == ".well-known" || name[0] == '_' || name[0] == '.' || name[0] == '-')
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

}  // namespace

Config parse_config(const std::string& text, const std::string& filename) {
  hcl::Body root = hcl::parse(text, filename);
  Checker check(filename);
  Config config;
  config.path = filename;
  check.check_names(root, "the configuration file", {},
                    {"provider_mirror", "provider_registry", "module_registry", "server"});

  const hcl::Block* server_block = nullptr;
  for (const hcl::Block& b : root.blocks) {
    if (b.type != "server") continue;
    if (server_block != nullptr) {
      check.error(b.pos, "the server block is already defined at line " + std::to_string(server_block->pos.line));
      continue;
    }
    server_block = &b;
  }
  if (server_block != nullptr) read_server(check, *server_block, config.server);
  read_query_string_secret(check, server_block, filename, config.server);

  // Service names share one namespace: each is the first path segment of its URLs.
  std::map<std::string, int> service_lines;
  auto take_name = [&](const hcl::Block& b, const std::string& kind) -> std::optional<std::string> {
    if (b.labels.size() != 1) {
      check.error(b.pos, kind + " needs exactly one label, its name: " + kind + " \"name\" { ... }");
      return std::nullopt;
    }
    const std::string& name = b.labels[0];
    if (!valid_service_name(name)) {
      check.error(b.pos, "\"" + name + "\" cannot be a service name: use letters, digits, '.', '_' and '-', "
                         "starting with a letter or digit, and not \"healthz\"");
      return std::nullopt;
    }
    if (auto same = service_lines.find(name); same != service_lines.end()) {
      check.error(b.pos, kind + " \"" + name + "\": the service name \"" + name + "\" is already used at line " +
                             std::to_string(same->second));
      return std::nullopt;
    }
    service_lines[name] = b.pos.line;
    return name;
  };
  for (const hcl::Block& b : root.blocks) {
    if (b.type == "provider_mirror") {
      auto name = take_name(b, b.type);
      if (!name) continue;
      ProviderMirrorConfig mirror;
      mirror.name = *name;
      read_mirror(check, b, config.server, mirror);
      config.provider_mirrors.push_back(std::move(mirror));
    } else if (b.type == "provider_registry") {
      auto name = take_name(b, b.type);
      if (!name) continue;
      if (!config.provider_registries.empty()) {
        check.error(b.pos, "only one provider_registry is allowed (the host's discovery document names one "
                           "providers.v1); the first is at line " + std::to_string(config.provider_registries[0].pos.line));
        continue;
      }
      ProviderRegistryConfig registry;
      registry.name = *name;
      read_provider_registry(check, b, config.server, registry);
      config.provider_registries.push_back(std::move(registry));
    } else if (b.type == "module_registry") {
      auto name = take_name(b, b.type);
      if (!name) continue;
      if (!config.module_registries.empty()) {
        check.error(b.pos, "only one module_registry is allowed (the host's discovery document names one "
                           "modules.v1); the first is at line " + std::to_string(config.module_registries[0].pos.line));
        continue;
      }
      ModuleRegistryConfig registry;
      registry.name = *name;
      read_module_registry(check, b, config.server, registry);
      config.module_registries.push_back(std::move(registry));
    }
  }
  if (config.provider_mirrors.empty() && config.provider_registries.empty() && config.module_registries.empty())
    check.warning({filename, 0, 0}, "no provider_mirror, provider_registry or module_registry blocks: the server will "
                                    "only answer /healthz");

  if (check.has_errors()) throw ConfigError(std::move(check.diagnostics));
  config.warnings = std::move(check.diagnostics);
  config.secret_files = std::move(check.secret_files);
  return config;
}

const char* block_name(ServiceKind kind) {
  switch (kind) {
    case ServiceKind::kProviderMirror: return "provider_mirror";
    case ServiceKind::kProviderRegistry: return "provider_registry";
    case ServiceKind::kModuleRegistry: return "module_registry";
  }
  return "service";
}

std::vector<const ServiceConfig*> Config::services() const {
  std::vector<const ServiceConfig*> out;
  for (const ProviderMirrorConfig& s : provider_mirrors) out.push_back(&s);
  for (const ProviderRegistryConfig& s : provider_registries) out.push_back(&s);
  for (const ModuleRegistryConfig& s : module_registries) out.push_back(&s);
  return out;
}

const ServiceConfig* Config::find_service(const std::string& name) const {
  for (const ServiceConfig* s : services())
    if (s->name == name) return s;
  return nullptr;
}

Config load_config_file(const std::string& path) {
  if (std::string why = unreadable_file(path); !why.empty())
    throw ConfigError({Diagnostic{{path, 0, 0}, "cannot read the configuration file: " + why}});
  std::string text;
  try {
    text = read_file_limited(path, kMaxConfigFile, "the configuration file");
  } catch (const Error& e) {
    throw ConfigError({Diagnostic{{path, 0, 0}, std::string("cannot read the configuration file: ") + e.what()}});
  }
  return parse_config(text, path);
}

}  // namespace otr
