#include <boost/test/unit_test.hpp>

#include "config/hcl.h"

using namespace otr;
using otr::hcl::Value;

namespace {

hcl::Body parse(const std::string& text) { return hcl::parse(text, "t.hcl"); }

// The single diagnostic a broken input produces, as "line:column: message".
std::string error_of(const std::string& text) {
  try {
    hcl::parse(text, "t.hcl");
  } catch (const ConfigError& e) {
    BOOST_TEST_REQUIRE(e.diagnostics().size() == 1u);
    const Diagnostic& d = e.diagnostics()[0];
    BOOST_TEST(d.pos.file == "t.hcl");
    return std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": " + d.message;
  }
  return "no error";
}

const Value& attr(const hcl::Body& body, const std::string& name) {
  for (const auto& a : body.attributes)
    if (a.name == name) return a.value;
  BOOST_FAIL("no attribute " << name);
  throw std::logic_error("unreachable");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hcl_parser)

BOOST_AUTO_TEST_CASE(values_of_every_kind) {
  auto body = parse(
      "s = \"a\\tb\\n\\\"q\\\" \\\\ \\u00e9 \\U0001F600 $${x} %%{y}\"\n"
      "i = 42\nneg = -7\nf = 1.5e3\nt = true\nfa = false\nn = null\n"
      "l = [1, \"two\", [3],\n  {k = 4},\n]\n"
      "o = { a = 1, \"b c\" : \"x\"\n  d = [] }\n"
      "empty_list = []\nempty_object = {}\n");
  BOOST_TEST(attr(body, "s").string == "a\tb\n\"q\" \\ \xc3\xa9 \xf0\x9f\x98\x80 ${x} %{y}");
  BOOST_TEST(attr(body, "i").number == 42);
  BOOST_TEST(attr(body, "i").number_text == "42");
  BOOST_TEST(attr(body, "neg").number == -7);
  BOOST_TEST(attr(body, "f").number == 1500);
  BOOST_TEST(attr(body, "t").boolean);
  BOOST_TEST(!attr(body, "fa").boolean);
  BOOST_TEST((attr(body, "n").kind == Value::Kind::kNull));
  const Value& l = attr(body, "l");
  BOOST_TEST_REQUIRE(l.items.size() == 4u);
  BOOST_TEST(l.items[1].string == "two");
  BOOST_TEST(l.items[2].items.size() == 1u);
  BOOST_TEST(l.items[3].members[0].key == "k");
  const Value& o = attr(body, "o");
  BOOST_TEST_REQUIRE(o.members.size() == 3u);
  BOOST_TEST(o.members[1].key == "b c");
  BOOST_TEST(o.members[1].value.string == "x");
  BOOST_TEST((o.members[2].value.kind == Value::Kind::kTuple));
  BOOST_TEST(attr(body, "empty_list").items.empty());
  BOOST_TEST(attr(body, "empty_object").members.empty());
}

BOOST_AUTO_TEST_CASE(blocks_labels_comments_and_positions) {
  auto body = parse(
      "# hash comment\n"
      "// slash comment\n"
      "/* block\n   comment */\n"
      "provider_mirror \"mirror\" {\n"
      "  origin_url = \"http://x\" # trailing\n"
      "  inner label2 { a = 1 }\n"
      "}\n"
      "server {\n}\n");
  BOOST_TEST_REQUIRE(body.blocks.size() == 2u);
  const hcl::Block& m = body.blocks[0];
  BOOST_TEST(m.type == "provider_mirror");
  BOOST_TEST(m.labels == std::vector<std::string>{"mirror"}, boost::test_tools::per_element());
  BOOST_TEST(m.pos.line == 5);
  BOOST_TEST(m.pos.column == 1);
  BOOST_TEST(m.body.attributes[0].pos.line == 6);
  BOOST_TEST(m.body.attributes[0].pos.column == 3);
  BOOST_TEST(m.body.attributes[0].value.pos.column == 16);
  BOOST_TEST(m.body.blocks[0].labels[0] == "label2");
  BOOST_TEST(m.body.blocks[0].body.attributes[0].name == "a");
  BOOST_TEST(body.blocks[1].body.attributes.empty());
}

BOOST_AUTO_TEST_CASE(heredocs) {
  auto body = parse("a = <<EOT\nline one\n  line two\nEOT\nb = <<-EOT\n    x\n      y\n    EOT\nc = 1\n");
  BOOST_TEST(attr(body, "a").string == "line one\n  line two\n");
  BOOST_TEST(attr(body, "b").string == "x\n  y\n");
  BOOST_TEST(attr(body, "c").number == 1);
}

BOOST_AUTO_TEST_CASE(crlf_line_endings) {
  auto body = parse("a = \"x\"\r\nb {\r\n  c = true\r\n}\r\n");
  BOOST_TEST(attr(body, "a").string == "x");
  BOOST_TEST(body.blocks[0].body.attributes[0].value.boolean);
}

BOOST_AUTO_TEST_CASE(broken_inputs_say_where_and_what) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const Case cases[] = {
      {"a = \"open\n", "1:5: unterminated string: the closing quote is missing"},
      {"a \"x\"\n", "1:6: expected a block body \"{\" after \"a\", found the end of the line"},
      {"a 5\n", "1:3: expected \"=\" or a block body after \"a\", found \"5\""},
      {"a = \"${var.x}\"\n", "1:6: template sequences like \"${...}\" are not supported here; write the value "
                             "literally (\"$${\" stands for a literal \"${\")"},
      {"a = \"%{ if x }\"\n", "1:6: template sequences like \"%{...}\" are not supported here; write the value "
                              "literally (\"%%{\" stands for a literal \"%{\")"},
      {"a = file(\"x\")\n", "1:5: function calls like \"file(...)\" are not supported here; expected a literal value"},
      {"a = var.x\n", "1:5: \"var\" is not a value: expected a quoted string, a number, true, false, null, a list or "
                      "an object (variables and expressions are not supported)"},
      {"a = 1 + 2\n", "1:7: expected the end of the line after the value of \"a\", found \"+\" (expressions and "
                      "operators are not supported; write a literal value)"},
      {"a = \"\\q\"\n", "1:6: invalid escape sequence \"\\q\": use \\n, \\r, \\t, \\\", \\\\, \\uNNNN or \\UNNNNNNNN"},
      {"a = \"\\u12\"\n", "1:6: invalid escape \"\\u\": expected 4 hex digits"},
      {"a = \"\\uD800\"\n", "1:6: the escape does not name a valid Unicode character"},
      {"b {\n  a = 1\n", "1:3: unclosed block: this \"{\" has no matching \"}\""},
      {"}\n", "1:1: unexpected \"}\": no block is open here"},
      {"a = 1\nb = 2\na = 3\n", "3:1: attribute \"a\" is already set at line 1"},
      {"a = { k = 1, k = 2 }\n", "1:14: key \"k\" is already set at line 1"},
      {"a = [1 2]\n", "1:8: expected \",\" or \"]\" in the list, found \"2\""},
      {"a = [1,\n", "1:5: unclosed list: this \"[\" has no matching \"]\""},
      {"a = {\n", "1:5: unclosed object: this \"{\" has no matching \"}\""},
      {"a = { 5 = 1 }\n", "1:7: expected an object key (a name or a quoted string), found \"5\""},
      {"a = { k 1 }\n", "1:9: expected \"=\" or \":\" after the key \"k\", found \"1\""},
      {"a =\n", "1:4: expected a value, found the end of the line"},
      {"a = <<EOT\nnever closed\n", "1:5: unterminated heredoc: no line \"EOT\" closes it"},
      {"a = <<EOT trailing\nx\nEOT\n", "1:11: expected the end of the line after \"<<EOT\", found \"trailing\""},
      {"/* never closed\n", "1:1: unterminated comment: \"/*\" has no closing \"*/\""},
      {"= 1\n", "1:1: expected an attribute name or a block type, found \"=\""},
      {"a = 1 b = 2\n", "1:7: expected the end of the line after the value of \"a\", found \"b\""},
      {std::string("a = \"x\0y\"\n", 10), "1:7: the file contains a NUL byte; configuration files are text"},
      {"a = \"\xff\"\n", "1:6: invalid UTF-8 in the file"},
      {"b { c { d = 1 } } x\n", "1:19: expected the end of the line after the value of \"b\", found \"x\""},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.text) { BOOST_TEST(error_of(c.text) == c.expected); }
  }
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_refused_not_crashed) {
  std::string lists = "a = " + std::string(100000, '[') + "\n";
  BOOST_TEST(error_of(lists) == "1:69: values are nested too deeply");
  std::string blocks;
  for (int i = 0; i < 100; ++i) blocks += "b {\n";
  BOOST_TEST(error_of(blocks) == "65:3: blocks are nested too deeply");
}

BOOST_AUTO_TEST_SUITE_END()
