#include "terraform/versions.h"

#include <algorithm>
#include <limits>
#include <tuple>

namespace otr {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_char(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'; }
bool all_digits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); }

// A numeric part: digits, no leading zero (except "0" itself), no overflow.
std::optional<unsigned long long> parse_number(std::string_view s) {
  if (!all_digits(s) || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  unsigned long long value = 0;
  for (char c : s) {
    unsigned digit = static_cast<unsigned>(c - '0');
    if (value > (std::numeric_limits<unsigned long long>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

// Dot-separated non-empty identifiers of [0-9A-Za-z-]; numeric prerelease identifiers must not
// have leading zeros (build identifiers may).
std::optional<std::vector<std::string>> parse_identifiers(std::string_view s, bool prerelease) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view id = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (id.empty() || !std::all_of(id.begin(), id.end(), is_ident_char)) return std::nullopt;
    if (prerelease && all_digits(id) && id.size() > 1 && id[0] == '0') return std::nullopt;
    out.emplace_back(id);
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

int compare_identifier(const std::string& a, const std::string& b) {
  bool an = all_digits(a), bn = all_digits(b);
  if (an && bn) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;  // no leading zeros: longer is larger
    return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
  }
  if (an != bn) return an ? -1 : 1;  // numeric identifiers sort below alphanumeric ones
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

std::optional<Version> parse_version(std::string_view text) {
  Version v;
  size_t plus = text.find('+');
  if (plus != std::string_view::npos) {
    std::string_view build = text.substr(plus + 1);
    if (!parse_identifiers(build, false)) return std::nullopt;
    v.build = std::string(build);
    text = text.substr(0, plus);
  }
  size_t dash = text.find('-');
  if (dash != std::string_view::npos) {
    auto pre = parse_identifiers(text.substr(dash + 1), true);
    if (!pre) return std::nullopt;
    v.prerelease = std::move(*pre);
    text = text.substr(0, dash);
  }
  size_t d1 = text.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : text.find('.', d1 + 1);
  if (d1 == std::string_view::npos || d2 == std::string_view::npos) return std::nullopt;
  auto major = parse_number(text.substr(0, d1));
  auto minor = parse_number(text.substr(d1 + 1, d2 - d1 - 1));
  auto patch = parse_number(text.substr(d2 + 1));
  if (!major || !minor || !patch) return std::nullopt;
  v.major = *major;
  v.minor = *minor;
  v.patch = *patch;
  return v;
}

std::string Version::to_string() const {
  std::string s = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  for (size_t i = 0; i < prerelease.size(); ++i) s += (i == 0 ? "-" : ".") + prerelease[i];
  if (!build.empty()) s += "+" + build;
  return s;
}

std::weak_ordering compare_versions(const Version& a, const Version& b) {
  if (auto c = std::tie(a.major, a.minor, a.patch) <=> std::tie(b.major, b.minor, b.patch); c != 0) return c;
  if (a.prerelease.empty() || b.prerelease.empty()) {
    if (a.prerelease.empty() && b.prerelease.empty()) return std::weak_ordering::equivalent;
    return a.prerelease.empty() ? std::weak_ordering::greater : std::weak_ordering::less;
  }
  for (size_t i = 0; i < a.prerelease.size() && i < b.prerelease.size(); ++i) {
    int c = compare_identifier(a.prerelease[i], b.prerelease[i]);
    if (c != 0) return c < 0 ? std::weak_ordering::less : std::weak_ordering::greater;
  }
  return a.prerelease.size() <=> b.prerelease.size();
}

std::string version_to_tag(const Version& v) {
  std::string tag = v.to_string();
  std::replace(tag.begin(), tag.end(), '+', '_');
  return tag;
}

std::optional<Version> version_from_tag(std::string_view tag) {
  if (tag.find('+') != std::string_view::npos) return std::nullopt;
  std::string text(tag);
  size_t underscore = text.find('_');
  if (underscore != std::string::npos) {
    if (text.find('_', underscore + 1) != std::string::npos) return std::nullopt;
    text[underscore] = '+';
  }
  return parse_version(text);
}

bool is_protocol_version(std::string_view text) {
  auto digits = [](std::string_view s) {
    return !s.empty() && s.size() <= 4 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  size_t dot = text.find('.');
  return dot != std::string_view::npos && digits(text.substr(0, dot)) && digits(text.substr(dot + 1));
}

}  // namespace otr
