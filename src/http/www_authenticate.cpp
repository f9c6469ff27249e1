#include "http/www_authenticate.h"

#include <cctype>
#include <optional>

#include "base/strings.h"

namespace otr {

namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}


// A cursor over the header value.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  void skip_space() {
    while (!done() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  void skip_separators() {
    while (!done() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == ',')) ++i_;
  }
  std::string_view token() {
    size_t start = i_;
    while (!done() && is_token_char(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  // token68: token characters plus '/' and trailing '='.
  std::string_view token68() {
    size_t start = i_;
    while (!done() && (is_token_char(s_[i_]) || s_[i_] == '/')) ++i_;
    while (!done() && s_[i_] == '=') ++i_;
    return s_.substr(start, i_ - start);
  }
  // After the opening quote; returns nullopt when unterminated.
  std::optional<std::string> quoted() {
    std::string out;
    while (!done()) {
      char c = s_[i_++];
      if (c == '"') return out;
      if (c == '\\' && !done()) c = s_[i_++];
      out += c;
    }
    return std::nullopt;
  }
  size_t pos() const { return i_; }
  void seek(size_t p) { i_ = p; }
  void advance() { ++i_; }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::vector<AuthChallenge> parse_www_authenticate(std::string_view header) {
  std::vector<AuthChallenge> challenges;
  Scanner in(header);
  while (true) {
    in.skip_separators();
    if (in.done()) break;
    std::string_view scheme = in.token();
    if (scheme.empty()) {  // garbage: skip to the next comma
      while (!in.done() && in.peek() != ',') in.advance();
      continue;
    }
    AuthChallenge challenge;
    challenge.scheme = to_lower(scheme);
    in.skip_space();
    // Parameters until a token that is not followed by '=' (the next challenge's scheme).
    while (!in.done()) {
      size_t mark = in.pos();
      in.skip_separators();
      std::string_view name = in.token();
      in.skip_space();
      if (name.empty() || in.peek() != '=') {
        if (name.empty() && !in.done() && in.peek() != ',') {
          // token68 form ("Basic abc/+==") belongs to the challenge; store nothing.
          in.seek(mark);
          in.skip_space();
          if (!in.token68().empty()) continue;
        }
        in.seek(mark);
        break;
      }
      in.advance();  // '='
      in.skip_space();
      std::string value;
      if (in.peek() == '"') {
        in.advance();
        auto q = in.quoted();
        if (!q) break;  // unterminated: drop this parameter
        value = std::move(*q);
      } else {
        std::string_view v = in.token68();
        value = std::string(v);
      }
      // A bare token followed by '=' then more '=' (token68 like "abc==") is not a parameter.
      challenge.params[to_lower(name)] = std::move(value);
      in.skip_space();
    }
    challenges.push_back(std::move(challenge));
  }
  return challenges;
}

}  // namespace otr
