#include "base/names.h"

#include <algorithm>
#include <cctype>

#include "base/strings.h"

namespace otr {

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }


// One DNS label: 1-63 of [a-z0-9-], not starting or ending with '-'.
bool is_dns_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) { return is_lower_alnum(c) || c == '-'; });
}

}  // namespace

bool is_valid_repo_component(std::string_view s) {
  // [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
  size_t i = 0;
  auto alnum_run = [&] {
    size_t start = i;
    while (i < s.size() && is_lower_alnum(s[i])) ++i;
    return i > start;
  };
  if (!alnum_run()) return false;
  while (i < s.size()) {
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < s.size() && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-') ++i;
    } else {
      return false;
    }
    if (!alnum_run()) return false;
  }
  return true;
}

bool is_valid_repository(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  size_t start = 0;
  while (true) {
    size_t slash = s.find('/', start);
    if (!is_valid_repo_component(s.substr(start, slash == std::string_view::npos ? slash : slash - start)))
      return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

bool is_valid_tag(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

bool is_valid_digest(std::string_view s) {
  auto hex_of = [&](std::string_view prefix, size_t length) {
    return s.size() == prefix.size() + length && s.starts_with(prefix) &&
           std::all_of(s.begin() + static_cast<long>(prefix.size()), s.end(), is_hex);
  };
  return hex_of("sha256:", 64) || hex_of("sha512:", 128);
}

std::optional<std::string> hostname_to_component(std::string_view host) {
  std::string h = to_lower(host);
  std::string port;
  if (size_t colon = h.find(':'); colon != std::string::npos) {
    port = h.substr(colon + 1);
    h.resize(colon);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) || port[0] == '0' ||
        std::stoul(port) > 65535)
      return std::nullopt;
  }
  if (h.empty() || h.size() > 253) return std::nullopt;
  size_t start = 0;
  while (true) {
    size_t dot = h.find('.', start);
    if (!is_dns_label(std::string_view(h).substr(start, dot == std::string::npos ? dot : dot - start)))
      return std::nullopt;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  std::string component = port.empty() ? h : h + "_" + port;
  if (!is_valid_repo_component(component)) return std::nullopt;
  return component;
}

bool is_platform_word(std::string_view s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), is_lower_alnum);
}

std::string sha256_hex_of(std::string_view digest) {
  return digest.starts_with("sha256:") ? std::string(digest.substr(7)) : std::string();
}

}  // namespace otr
