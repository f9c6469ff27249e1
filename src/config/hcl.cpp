#include "config/hcl.h"

#include <cstdlib>

namespace otr::hcl {

const char* Value::kind_name() const {
  switch (kind) {
    case Kind::kNull: return "null";
    case Kind::kBool: return "a bool";
    case Kind::kNumber: return "a number";
    case Kind::kString: return "a string";
    case Kind::kTuple: return "a list";
    case Kind::kObject: return "an object";
  }
  return "a value";
}

namespace {

constexpr int kMaxDepth = 64;

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9') || c == '-'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_operator(char c) { return std::string_view("+-*/%=!<>&|?.([").find(c) != std::string_view::npos; }

void append_utf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid.
size_t utf8_length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  if (n == 2 && c < 0xC2) return 0;                              // overlong
  if (n == 3 && c == 0xE0 && byte(i + 1) < 0xA0) return 0;       // overlong
  if (n == 3 && c == 0xED && byte(i + 1) >= 0xA0) return 0;      // surrogates
  if (n == 4 && (c > 0xF4 || (c == 0xF0 && byte(i + 1) < 0x90) || (c == 0xF4 && byte(i + 1) >= 0x90))) return 0;
  return n;
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& file) : s_(text), file_(file) {}

  Body parse_file() {
    check_encoding();
    return parse_body(nullptr, 0);
  }

 private:
  [[noreturn]] void fail(const SourcePos& pos, const std::string& message) const {
    throw ConfigError({Diagnostic{pos, message}});
  }
  SourcePos here() const { return SourcePos{file_, line_, column_}; }
  bool eof() const { return i_ >= s_.size(); }
  char peek(size_t k = 0) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }
  void advance() {
    if (s_[i_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++i_;
  }

  void check_encoding() {
    size_t i = 0;
    int line = 1, column = 1;
    while (i < s_.size()) {
      if (s_[i] == '\0') fail({file_, line, column}, "the file contains a NUL byte; configuration files are text");
      size_t n = utf8_length(s_, i);
      if (n == 0) fail({file_, line, column}, "invalid UTF-8 in the file");
      if (s_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        column += static_cast<int>(n);
      }
      i += n;
    }
  }

  // What stands at the current position, for "found ..." in messages.
  std::string found() const {
    if (eof()) return "the end of the file";
    char c = peek();
    if (c == '\n' || (c == '\r' && peek(1) == '\n')) return "the end of the line";
    if (is_ident_start(c)) {
      size_t j = i_;
      while (j < s_.size() && is_ident_char(s_[j])) ++j;
      return "\"" + std::string(s_.substr(i_, j - i_)) + "\"";
    }
    if (c == '"') return "a quoted string";
    return "\"" + std::string(1, c) + "\"";
  }

  // Spaces, tabs, CR and comments; newlines too when `newlines`.
  void skip_space(bool newlines) {
    while (!eof()) {
      char c = peek();
      if (c == ' ' || c == '\t' || c == '\r' || (c == '\n' && newlines)) {
        advance();
      } else if (c == '#' || (c == '/' && peek(1) == '/')) {
        while (!eof() && peek() != '\n') advance();
      } else if (c == '/' && peek(1) == '*') {
        SourcePos start = here();
        advance();
        advance();
        while (!(peek() == '*' && peek(1) == '/')) {
          if (eof()) fail(start, "unterminated comment: \"/*\" has no closing \"*/\"");
          advance();
        }
        advance();
        advance();
      } else {
        break;
      }
    }
  }

  std::string identifier() {
    size_t start = i_;
    while (!eof() && is_ident_char(peek())) advance();
    return std::string(s_.substr(start, i_ - start));
  }

  // After a complete value: the line must end (or the enclosing block close).
  void expect_end_of_item(const std::string& name, bool in_block) {
    skip_space(false);
    if (eof() || peek() == '\n' || (in_block && peek() == '}')) return;
    std::string hint = is_operator(peek()) ? " (expressions and operators are not supported; write a literal value)" : "";
    fail(here(), "expected the end of the line after the value of \"" + name + "\", found " + found() + hint);
  }

  // `type`: the type of the block whose body this is (nullptr at the top of the file).
  Body parse_body(const SourcePos* open, int depth, const std::string* type = nullptr) {
    Body body;
    while (true) {
      skip_space(true);
      if (eof()) {
        if (open != nullptr) fail(*open, "unclosed block: this \"{\" has no matching \"}\"");
        return body;
      }
      if (peek() == '}') {
        if (open == nullptr) fail(here(), "unexpected \"}\": no block is open here");
        return body;
      }
      if (peek() == '"' && type != nullptr)  // host_aliases { "a.com" = "b.com" }: an object written as a block
        fail(here(), "expected an attribute name or a block type, found a quoted string: a block holds unquoted "
                     "names (name = value), an object holds quoted keys; if \"" + *type + "\" takes an object, write " + *type +
                     " = { \"key\" = value }");
      if (!is_ident_start(peek()))
        fail(here(), "expected an attribute name or a block type, found " + found());
      SourcePos pos = here();
      std::string name = identifier();
      skip_space(false);
      if (peek() == '=' && peek(1) != '=') {
        advance();
        skip_space(false);
        Value value = parse_value(depth + 1);
        expect_end_of_item(name, open != nullptr);
        for (const Attribute& a : body.attributes)
          if (a.name == name)
            fail(pos, "attribute \"" + name + "\" is already set at line " + std::to_string(a.pos.line));
        body.attributes.push_back(Attribute{name, pos, std::move(value)});
        continue;
      }
      Block block;
      block.type = name;
      block.pos = pos;
      while (peek() == '"' || is_ident_start(peek())) {
        block.labels.push_back(peek() == '"' ? parse_quoted() : identifier());
        skip_space(false);
      }
      if (peek() != '{') {
        std::string expected = block.labels.empty() ? "\"=\" or a block body" : "a block body \"{\"";
        fail(here(), "expected " + expected + " after \"" + name + "\", found " + found());
      }
      SourcePos brace = here();
      if (depth + 1 > kMaxDepth) fail(brace, "blocks are nested too deeply");
      advance();
      block.body = parse_body(&brace, depth + 1, &block.type);
      advance();  // the closing '}'
      expect_end_of_item(name, open != nullptr);
      body.blocks.push_back(std::move(block));
    }
  }

  Value parse_value(int depth) {
    if (depth > kMaxDepth) fail(here(), "values are nested too deeply");
    Value v;
    v.pos = here();
    char c = peek();
    if (c == '"') {
      v.kind = Value::Kind::kString;
      v.string = parse_quoted();
    } else if (c == '<' && peek(1) == '<') {
      v.kind = Value::Kind::kString;
      v.string = parse_heredoc();
    } else if (c == '[') {
      parse_tuple(v, depth);
    } else if (c == '{') {
      parse_object(v, depth);
    } else if (is_digit(c) || (c == '-' && is_digit(peek(1)))) {
      parse_number(v);
    } else if (is_ident_start(c)) {
      std::string word = identifier();
      if (word == "true" || word == "false") {
        v.kind = Value::Kind::kBool;
        v.boolean = word == "true";
      } else if (word == "null") {
        v.kind = Value::Kind::kNull;
      } else {
        skip_space(false);
        if (peek() == '(')
          fail(v.pos, "function calls like \"" + word + "(...)\" are not supported here; expected a literal value");
        fail(v.pos, "\"" + word + "\" is not a value: expected a quoted string, a number, true, false, null, a list or "
                    "an object (variables and expressions are not supported)");
      }
    } else {
      fail(v.pos, "expected a value, found " + found());
    }
    return v;
  }

  void parse_number(Value& v) {
    size_t start = i_;
    if (peek() == '-') advance();
    while (is_digit(peek())) advance();
    if (peek() == '.' && is_digit(peek(1))) {
      advance();
      while (is_digit(peek())) advance();
    }
    if ((peek() == 'e' || peek() == 'E') &&
        (is_digit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && is_digit(peek(2))))) {
      advance();
      if (peek() == '+' || peek() == '-') advance();
      while (is_digit(peek())) advance();
    }
    v.kind = Value::Kind::kNumber;
    v.number_text = std::string(s_.substr(start, i_ - start));
    v.number = std::strtod(v.number_text.c_str(), nullptr);
  }

  void parse_tuple(Value& v, int depth) {
    v.kind = Value::Kind::kTuple;
    SourcePos open = here();
    advance();
    while (true) {
      skip_space(true);
      if (eof()) fail(open, "unclosed list: this \"[\" has no matching \"]\"");
      if (peek() == ']') break;
      v.items.push_back(parse_value(depth + 1));
      skip_space(true);
      if (peek() == ',') {
        advance();
        continue;
      }
      if (peek() == ']') break;
      if (eof()) fail(open, "unclosed list: this \"[\" has no matching \"]\"");
      fail(here(), "expected \",\" or \"]\" in the list, found " + found());
    }
    advance();
  }

  void parse_object(Value& v, int depth) {
    v.kind = Value::Kind::kObject;
    SourcePos open = here();
    advance();
    while (true) {
      skip_space(true);
      if (eof()) fail(open, "unclosed object: this \"{\" has no matching \"}\"");
      if (peek() == '}') break;
      ObjectMember member;
      member.key_pos = here();
      if (peek() == '"') {
        member.key = parse_quoted();
      } else if (is_ident_start(peek())) {
        member.key = identifier();
      } else {
        fail(here(), "expected an object key (a name or a quoted string), found " + found());
      }
      skip_space(false);
      if (peek() != '=' && peek() != ':')
        fail(here(), "expected \"=\" or \":\" after the key \"" + member.key + "\", found " + found());
      advance();
      skip_space(false);
      member.value = parse_value(depth + 1);
      for (const ObjectMember& m : v.members)
        if (m.key == member.key)
          fail(member.key_pos, "key \"" + member.key + "\" is already set at line " + std::to_string(m.key_pos.line));
      v.members.push_back(std::move(member));
      skip_space(false);
      if (peek() == ',') {
        advance();
        continue;
      }
      if (peek() == '\n' || peek() == '}') continue;
      if (eof()) fail(open, "unclosed object: this \"{\" has no matching \"}\"");
      fail(here(), "expected \",\", a new line or \"}\" after an object member, found " + found());
    }
    advance();
  }

  // Template sequences are refused; their escaped forms ($${, %%{) stand for themselves.
  bool take_template_sequence(std::string& out) {
    char c = peek();
    if ((c == '$' || c == '%') && peek(1) == '{') {
      std::string seq = c == '$' ? "${...}" : "%{...}";
      fail(here(), "template sequences like \"" + seq + "\" are not supported here; write the value literally (\"" +
                       std::string(2, c) + "{\" stands for a literal \"" + std::string(1, c) + "{\")");
    }
    if ((c == '$' || c == '%') && peek(1) == c && peek(2) == '{') {
      out += c;
      out += '{';
      advance();
      advance();
      advance();
      return true;
    }
    return false;
  }

  std::string parse_quoted() {
    SourcePos start = here();
    advance();
    std::string out;
    while (true) {
      if (eof() || peek() == '\n') fail(start, "unterminated string: the closing quote is missing");
      char c = peek();
      if (c == '"') {
        advance();
        return out;
      }
      if (take_template_sequence(out)) continue;
      if (c != '\\') {
        out += c;
        advance();
        continue;
      }
      SourcePos escape = here();
      advance();
      char e = peek();
      if (eof()) fail(start, "unterminated string: the closing quote is missing");
      advance();
      switch (e) {
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case 'u':
        case 'U': {
          size_t digits = e == 'u' ? 4 : 8;
          unsigned long cp = 0;
          for (size_t k = 0; k < digits; ++k) {
            char h = peek();
            int value = is_digit(h) ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
            if (value < 0)
              fail(escape, "invalid escape \"\\" + std::string(1, e) + "\": expected " + std::to_string(digits) + " hex digits");
            cp = cp * 16 + static_cast<unsigned long>(value);
            advance();
          }
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0)
            fail(escape, "the escape does not name a valid Unicode character");
          append_utf8(out, cp);
          break;
        }
        default:
          fail(escape, "invalid escape sequence \"\\" + std::string(1, e) +
                           "\": use \\n, \\r, \\t, \\\", \\\\, \\uNNNN or \\UNNNNNNNN");
      }
    }
  }

  std::string parse_heredoc() {
    SourcePos start = here();
    advance();
    advance();
    bool indented = peek() == '-';
    if (indented) advance();
    if (!is_ident_start(peek())) fail(here(), "expected a heredoc delimiter name after \"<<\", found " + found());
    std::string marker = identifier();
    while (peek() == ' ' || peek() == '\t' || peek() == '\r') advance();
    if (peek() != '\n') fail(here(), "expected the end of the line after \"<<" + marker + "\", found " + found());
    advance();
    std::vector<std::string> lines;
    while (true) {
      if (eof()) fail(start, "unterminated heredoc: no line \"" + marker + "\" closes it");
      size_t line_start = i_;
      size_t end = s_.find('\n', i_);
      std::string_view raw = s_.substr(i_, end == std::string_view::npos ? std::string_view::npos : end - i_);
      std::string_view trimmed = raw;
      while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\t')) trimmed.remove_prefix(1);
      while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\t' || trimmed.back() == '\r'))
        trimmed.remove_suffix(1);
      if (trimmed == marker) {
        while (i_ < line_start + raw.size()) advance();
        break;
      }
      std::string line;
      while (!eof() && peek() != '\n') {
        if (take_template_sequence(line)) continue;
        line += peek();
        advance();
      }
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back(std::move(line));
      if (!eof()) advance();
    }
    if (indented) {
      size_t common = std::string::npos;
      for (const std::string& l : lines) {
        size_t lead = l.find_first_not_of(" \t");
        if (lead != std::string::npos) common = std::min(common, lead);
      }
      if (common != std::string::npos)
        for (std::string& l : lines) l.erase(0, std::min(common, l.size()));
    }
    std::string out;
    for (const std::string& l : lines) out += l + "\n";
    return out;
  }

  std::string_view s_;
  const std::string& file_;
  size_t i_ = 0;
  int line_ = 1;
  int column_ = 1;
};

}  // namespace

Body parse(std::string_view text, const std::string& filename) { return Parser(text, filename).parse_file(); }

}  // namespace otr::hcl
