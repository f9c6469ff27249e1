// A parser for HCL's native syntax, restricted to literal values: what configuration files need.
//
// Supported: attributes (`name = value`), blocks (`type "label" { ... }`, also on one line),
// `#`, `//` and `/* */` comments, quoted strings with escapes, heredocs (`<<EOT`, `<<-EOT`),
// numbers, true/false/null, tuples `[...]` and objects `{ k = v, "k2": v }`.
// Not supported (an error saying so): references, function calls, `${}` interpolation, `%{}`
// directives, operators, conditionals, for expressions.
//
// Syntax errors throw ConfigError with one Diagnostic: file:line:column and what was expected.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/diagnostics.h"

namespace otr::hcl {

struct ObjectMember;

struct Value {
  enum class Kind { kNull, kBool, kNumber, kString, kTuple, kObject };
  Kind kind = Kind::kNull;
  SourcePos pos;
  bool boolean = false;
  double number = 0;
  std::string number_text;  // as written, for integer checks and messages
  std::string string;
  std::vector<Value> items;           // kTuple
  std::vector<ObjectMember> members;  // kObject, in source order

  // "a string", "a number", ... for messages.
  const char* kind_name() const;
};

struct ObjectMember {
  std::string key;
  SourcePos key_pos;
  Value value;
};

struct Block;

struct Attribute {
  std::string name;
  SourcePos pos;  // of the name
  Value value;
};

struct Body {
  std::vector<Attribute> attributes;  // in source order, names unique
  std::vector<Block> blocks;          // in source order
};

struct Block {
  std::string type;
  std::vector<std::string> labels;
  SourcePos pos;  // of the type keyword
  Body body;
};

// Parses a whole file. `filename` appears in positions and messages.
Body parse(std::string_view text, const std::string& filename);

}  // namespace otr::hcl
