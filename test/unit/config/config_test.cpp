#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <vector>

#include "base/hex.h"
#include "config/config.h"
#include "config/config_search.h"
#include "config/secret_env.h"

using namespace otr;

namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

Config parse(const std::string& text) { return parse_config(text, "../data/config/c.hcl"); }

// Paths a configuration names resolve against its directory, to absolute paths.
std::string data_path(const std::string& name) {
  return (std::filesystem::absolute("../data/config") / name).lexically_normal().string();
}

// Every error of a broken configuration, as "line:column: message", one per line.
std::string errors_of(const std::string& text) {
  try {
    parse(text);
  } catch (const ConfigError& e) {
    std::string out;
    for (const Diagnostic& d : e.diagnostics()) {
      if (d.warning) continue;
      out += (out.empty() ? "" : "\n") + std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": " + d.message;
    }
    return out;
  }
  return "no error";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(seed_example_loads_with_its_original_meaning) {
  Config c = load_config_file("../../example-config.hcl");
  BOOST_TEST_REQUIRE(c.provider_mirrors.size() == 1u);
  const ProviderMirrorConfig& m = c.provider_mirrors[0];
  BOOST_TEST(m.name == "mirror");
  BOOST_TEST(m.origin_url == "http://127.0.0.1:5000");
  BOOST_TEST(m.name_prefix == "terraform-providers");
  BOOST_TEST(m.proxy_packages);
  BOOST_TEST(c.server.listen_addr == "localhost:8080");
  BOOST_TEST(c.server.query_string_secret == std::string(32, '\0'));
  // The all-zero secret is usable but earns a warning.
  BOOST_TEST_REQUIRE(c.warnings.size() == 1u);
  BOOST_TEST(c.warnings[0].message.find("all zeros") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(full_configuration) {
  Config c = parse(R"(
provider_mirror "mirror" {
  origin_url = "https://registry.example.com:5000/"
  name_prefix = "/terraform-providers/"
  proxy_packages = true
  host_aliases = { "Registry.OpenTofu.org" = "registry.terraform.io" }
  request_timeout = "1m30s"
  origin_credentials {
    username = "robot"
    password_file = "password.txt"
  }
}
provider_mirror "second" {
  origin_url = "http://127.0.0.1:5000"
  origin_credentials { token = "abc" }
}
server {
  listen_addr = "unix:/run/x/fcgi.sock"
  socket_mode = "0600"
  query_string_secret_file = "secret.txt"
  worker_processes = 4
  worker_threads = 16
  max_requests_per_worker = 1000
  shutdown_timeout = 10
  package_url_ttl = "2h"
  tags_cache_ttl = "0s"
  manifest_cache_size = "64MiB"
  log_format = "json"
  connect_timeout = "2s"
}
)");
  BOOST_TEST_REQUIRE(c.provider_mirrors.size() == 2u);
  const ProviderMirrorConfig& m = c.provider_mirrors[0];
  BOOST_TEST(m.origin_url == "https://registry.example.com:5000");
  BOOST_TEST(m.name_prefix == "terraform-providers");
  BOOST_TEST(m.host_aliases.at("registry.opentofu.org") == "registry.terraform.io");
  BOOST_TEST(m.origin.request_timeout.count() == 90);
  BOOST_TEST(m.origin.connect_timeout.count() == 2);  // from the server block, which comes later
  BOOST_TEST(m.credentials.username == "robot");
  BOOST_TEST(m.credentials.password == "s3cret-from-file");
  BOOST_TEST(c.provider_mirrors[1].credentials.token == "abc");
  BOOST_TEST(c.server.listen_addr == "unix:/run/x/fcgi.sock");
  BOOST_TEST(c.server.socket_mode == 0600u);
  BOOST_TEST(c.server.query_string_secret.size() == 32u);
  BOOST_TEST(c.server.worker_processes == 4);
  BOOST_TEST(c.server.worker_threads == 16);
  BOOST_TEST(c.server.max_requests_per_worker == 1000);
  BOOST_TEST(c.server.shutdown_timeout.count() == 10);
  BOOST_TEST(c.server.package_url_ttl.count() == 7200);
  BOOST_TEST(c.server.tags_cache_ttl.count() == 0);
  BOOST_TEST(c.server.manifest_cache_bytes == 64u << 20);
  BOOST_TEST((c.server.log_format == LogFormat::kJson));
  BOOST_TEST(c.warnings.empty());
}

BOOST_AUTO_TEST_CASE(origin_ca_file_is_resolved_and_inherited) {
  Config c = parse("server { origin_ca_file = \"password.txt\" }\n"
                   "provider_mirror \"a\" { origin_url = \"https://r\" }\n"
                   "provider_mirror \"b\" {\n  origin_url = \"https://r\"\n  origin_ca_file = \"/etc/hostname\"\n}\n");
  BOOST_TEST(c.provider_mirrors[0].origin.ca_file == data_path("password.txt"));
  BOOST_TEST(c.provider_mirrors[1].origin.ca_file == "/etc/hostname");
  BOOST_TEST(errors_of("provider_mirror \"a\" {\n  origin_url = \"https://r\"\n  origin_ca_file = \"nope.pem\"\n}\n") ==
             "3:20: cannot read \"" + data_path("nope.pem") + "\" named by \"origin_ca_file\": No such file or directory");
}

BOOST_AUTO_TEST_CASE(registry_blocks) {
  Config c = parse("module_registry \"modules\" {\n  origin_url = \"https://r/\"\n  name_prefix = \"terraform-modules\"\n}\n");
  BOOST_TEST_REQUIRE(c.module_registries.size() == 1u);
  BOOST_TEST(c.module_registries[0].name == "modules");
  BOOST_TEST(c.module_registries[0].origin_url == "https://r");
  BOOST_TEST(c.module_registries[0].name_prefix == "terraform-modules");
  BOOST_TEST(c.warnings.empty());

  BOOST_TEST(errors_of("provider_registry \"r\" { origin_url = \"https://r\" }\n") ==
             "1:1: provider_registry \"r\" needs a signing_key_file: an OpenPGP secret key to sign SHA256SUMS with "
             "(gpg --export-secret-keys KEYID > key.gpg)");
  // Loading never starts GnuPG: whether the key can sign is check_signing_keys()'s question.
  BOOST_TEST(errors_of("provider_registry \"r\" {\n  origin_url = \"https://r\"\n  signing_key_file = \"password.txt\"\n}\n") ==
             "no error");
  BOOST_TEST(errors_of("module_registry \"a\" { origin_url = \"https://r\" }\n"
                       "module_registry \"b\" { origin_url = \"https://r\" }\n") ==
             "2:1: only one module_registry is allowed (the host's discovery document names one modules.v1); the "
             "first is at line 1");
  BOOST_TEST(errors_of("provider_mirror \"x\" { origin_url = \"https://r\" }\n"
                       "module_registry \"x\" { origin_url = \"https://r\" }\n") ==
             "2:1: module_registry \"x\": the service name \"x\" is already used at line 1");
  BOOST_TEST(errors_of("module_registry \"m\" {\n  origin_url = \"https://r\"\n  hostname = \"a\"\n}\n").find(
                 "3:3: unknown attribute \"hostname\" in module_registry \"m\"") == 0u);
}

BOOST_AUTO_TEST_CASE(secrets_from_the_environment_are_taken_out_of_it) {
  // Children (gpg, gpg-agent, credential helpers) must not inherit them; a reload still sees them.
  setenv(kSecretEnvVar, kSecret.c_str(), 1);
  setenv("OTR_TEST_PASSWORD", "hunter2", 1);
  const std::string text = "provider_mirror \"m\" {\n  origin_url = \"http://r\"\n  proxy_packages = true\n"
                           "  origin_credentials {\n    username = \"u\"\n    password_env = \"OTR_TEST_PASSWORD\"\n  }\n}\n";
  Config c = parse(text);
  BOOST_TEST(c.server.query_string_secret.size() == 32u);
  BOOST_TEST(c.provider_mirrors.at(0).credentials.password == "hunter2");
  BOOST_TEST(std::getenv(kSecretEnvVar) == nullptr);
  BOOST_TEST(std::getenv("OTR_TEST_PASSWORD") == nullptr);
  Config reloaded = parse(text);
  BOOST_TEST(reloaded.server.query_string_secret == c.server.query_string_secret);
  BOOST_TEST(reloaded.provider_mirrors.at(0).credentials.password == "hunter2");
  forget_secret_env(kSecretEnvVar);
  forget_secret_env("OTR_TEST_PASSWORD");
}

BOOST_AUTO_TEST_CASE(a_secret_file_with_a_rotated_secret) {
  Config c = parse("server {\n  query_string_secret_file = \"rotated-secret.txt\"\n}\n");
  BOOST_TEST(c.server.query_string_secret == *decode_hex_key("fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"));
  BOOST_TEST_REQUIRE(c.server.retired_query_string_secrets.size() == 1u);
  BOOST_TEST(c.server.retired_query_string_secrets[0] == *decode_hex_key(kSecret));
}

BOOST_AUTO_TEST_CASE(tls_block_is_a_warning) {
  Config c = parse("server {\n  tls {\n    certificate_file = \"a\"\n    private_key_file = \"b\"\n  }\n}\n"
                   "provider_mirror \"m\" { origin_url = \"http://r\" }\n");
  BOOST_TEST_REQUIRE(c.warnings.size() == 1u);
  BOOST_TEST(c.warnings[0].pos.line == 2);
  BOOST_TEST(c.warnings[0].message.find("TLS belongs to the web server") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(errors_name_the_place_and_the_fix) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const Case cases[] = {
      {"provider_mirror \"m\" {\n  origin_url = \"http://r\"\n  proxy_package = true\n}\n",
       "3:3: unknown attribute \"proxy_package\" in provider_mirror \"m\" (did you mean \"proxy_packages\"?); valid "
       "attributes: \"origin_url\", \"name_prefix\", \"proxy_packages\", \"host_aliases\", \"connect_timeout\", "
       "\"request_timeout\", \"download_stall_timeout\", \"origin_ca_file\", \"download_offload\", \"offload_location\""},
      {"provider_mirror \"m\" {\n  origin_url = \"http://r\"\n  proxy_packages = true\n}\n",
       "3:20: proxy_packages = true needs server.query_string_secret (or query_string_secret_file, or the environment "
       "variable OCI_DISTRIBUTION_TERRAFORM_REGISTRY_QUERY_STRING_SECRET) to seal download URLs"},
      {"provider_mirror \"m\" {\n  origin_url = 5\n}\n", "2:16: expected a string for \"origin_url\", found a number"},
      {"provider_mirror \"m\" {\n  origin_url = \"ftp://r\"\n}\n",
       "2:16: origin_url must be an http:// or https:// URL of an OCI Distribution registry, not \"ftp://r\""},
      {"provider_mirror \"m\" {\n  origin_url = \"http://u:p@r\"\n}\n",
       "2:16: origin_url must not contain credentials; use an origin_credentials block"},
      {"provider_mirror \"m\" {\n}\n", "1:1: provider_mirror \"m\" needs an origin_url"},
      {"provider_mirror \"m\" { origin_url = \"http://r\" }\nprovider_mirror \"m\" { origin_url = \"http://s\" }\n",
       "2:1: provider_mirror \"m\": the service name \"m\" is already used at line 1"},
      {"provider_mirror { origin_url = \"http://r\" }\n",
       "1:1: provider_mirror needs exactly one label, its name: provider_mirror \"name\" { ... }"},
      {"provider_mirror \"healthz\" { origin_url = \"http://r\" }\n",
       "1:1: \"healthz\" cannot be a service name: use letters, digits, '.', '_' and '-', starting with a letter or "
       "digit, and not \"healthz\""},
      {"provider_mirror \"m\" {\n  origin_url = \"http://r\"\n  name_prefix = \"Upper/Case\"\n}\n",
       "3:17: name_prefix \"Upper/Case\" is not a valid OCI repository path (lower-case letters, digits and . _ - "
       "separators, components joined by /)"},
      {"server {\n  query_string_secret = \"abc\"\n}\n",
       "2:25: query_string_secret must be 64 hex digits (32 random bytes); generate one with: openssl rand -hex 32"},
      {"server {\n  listen_addr = \"localhost\"\n}\n",
       "2:17: invalid listen_addr \"localhost\": expected \"host:port\", \"[ipv6]:port\" or \"unix:/absolute/path\""},
      {"server {\n  worker_processes = 0\n}\n", "2:22: \"worker_processes\" must be between 1 and 256, not 0"},
      {"server {\n  worker_threads = 1.5\n}\n", "2:20: expected a whole number for \"worker_threads\", found \"1.5\""},
      {"server {\n  shutdown_timeout = \"soon\"\n}\n",
       "2:22: invalid duration \"soon\" for \"shutdown_timeout\": expected a duration such as \"30s\", \"5m\", "
       "\"1h30m\" or \"500ms\", or a number of seconds"},
      {"server {\n  log_format = \"xml\"\n}\n", "2:16: log_format must be \"text\" or \"json\", not \"xml\""},
      {"server {}\nserver {}\n", "2:1: the server block is already defined at line 1"},
      {"servr {}\n", "1:1: unknown block \"servr\" in the configuration file (did you mean \"server\"?); valid blocks: "
                     "\"provider_mirror\", \"provider_registry\", \"module_registry\", \"server\""},
      {"listen_addr = \"x\"\n", "1:1: unknown attribute \"listen_addr\" in the configuration file"},
      {"server {\n  query_string_secret_file = \"missing.txt\"\n}\n",
       "2:30: cannot read \"" + data_path("missing.txt") + "\" named by \"query_string_secret_file\": No such file or "
       "directory"},
      {"provider_mirror \"m\" {\n  origin_url = \"http://r\"\n  origin_credentials {\n    username = \"u\"\n  }\n}\n",
       "3:3: origin_credentials has a username but no password, password_file or password_env"},
      {"provider_mirror \"m\" {\n  origin_url = \"http://r\"\n  origin_credentials {\n    token = \"t\"\n    username = "
       "\"u\"\n  }\n}\n",
       "3:3: origin_credentials takes either a token or a username and password, not both"},
      {"provider_mirror \"m\" {\n  origin_url = \"http://r\"\n  origin_credentials {\n    token_env = "
       "\"OTR_TEST_UNSET_VARIABLE\"\n  }\n}\n",
       "4:17: the environment variable \"OTR_TEST_UNSET_VARIABLE\" named by \"token_env\" is not set"},
      {"provider_mirror \"m\" {\n  origin_url = \"http://r\"\n  host_aliases = { \"a b\" = \"x\" }\n}\n",
       "3:20: \"a b\" is not a hostname"},
      {"provider_mirror \"m\" {\n  origin_url = \"http://r\"\n  host_aliases = { a = \"x y\" }\n}\n",
       "3:24: the alias of \"a\" must be a hostname string"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.text) { BOOST_TEST(errors_of(c.text) == c.expected); }
  }
}

BOOST_AUTO_TEST_CASE(all_problems_are_reported_at_once) {
  std::string errors = errors_of("server {\n  worker_threads = 0\n  log_format = 1\n}\nfoo {}\n");
  // One for each problem, where it is (not three messages about one of them).
  std::vector<std::string> lines;
  std::istringstream in(errors);
  for (std::string line; std::getline(in, line);) lines.push_back(line.substr(0, line.find(':')));
  std::sort(lines.begin(), lines.end());
  BOOST_TEST(lines == (std::vector<std::string>{"2", "3", "5"}), errors);
}

// A bad secret is refused with a message that names where it is, never what it is: inline and in
// the environment (the file's forms are in mistakes_get_one_message_that_names_the_fix).
BOOST_AUTO_TEST_CASE(secrets_never_appear_in_messages) {
  const std::string bad_secret = std::string(63, 'a') + "Z";
  const std::string errors = errors_of("server {\n  query_string_secret = \"" + bad_secret + "\"\n}\n");
  BOOST_TEST(errors ==
             "2:25: query_string_secret must be 64 hex digits (32 random bytes); generate one with: openssl rand -hex 32");
  BOOST_TEST(errors.find(bad_secret) == std::string::npos);
  setenv(kSecretEnvVar, bad_secret.c_str(), 1);
  const std::string from_env = errors_of("server {\n  worker_threads = 2\n}\n");
  forget_secret_env(kSecretEnvVar);
  BOOST_TEST(from_env == "0:0: the environment variable " + std::string(kSecretEnvVar) +
                             " must hold 64 hex digits; generate them with: openssl rand -hex 32");
  BOOST_TEST(from_env.find(bad_secret) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(durations) {
  BOOST_TEST(parse_duration("90").count() == 90);
  BOOST_TEST(parse_duration("90s").count() == 90);
  BOOST_TEST(parse_duration("1m30s").count() == 90);
  BOOST_TEST(parse_duration("2h").count() == 7200);
  BOOST_TEST(parse_duration("500ms").count() == 1);
  BOOST_CHECK_THROW(parse_duration(""), std::invalid_argument);
  BOOST_CHECK_THROW(parse_duration("5 s"), std::invalid_argument);
  BOOST_CHECK_THROW(parse_duration("5d"), std::invalid_argument);
  BOOST_CHECK_THROW(parse_duration("s"), std::invalid_argument);
  // Once a signed overflow (UBSan): now an error, whatever the number of parts.
  std::string huge;
  for (int i = 0; i < 4000; ++i) huge += "999999999h";
  BOOST_CHECK_THROW(parse_duration(huge), std::invalid_argument);
  BOOST_CHECK_THROW(parse_duration("8785h"), std::invalid_argument);
  BOOST_CHECK_THROW(parse_duration("999999999"), std::invalid_argument);
  BOOST_TEST(parse_duration("8784h").count() == 8784 * 3600);
}

// Day-one mistakes: each gets one message that names the fix (issue 14).
BOOST_AUTO_TEST_CASE(mistakes_get_one_message_that_names_the_fix) {
  // An object written as a block.
  BOOST_TEST(errors_of("provider_mirror \"m\" {\n  origin_url = \"http://h:5000\"\n  host_aliases {\n"
                       "    \"registry.opentofu.org\" = \"registry.terraform.io\"\n  }\n}\n")
                 .find("4:5: expected an attribute name or a block type, found a quoted string: a block holds unquoted names "
                       "(name = value), an object holds quoted keys; if \"host_aliases\" takes an object, write host_aliases = {") == 0);
  // "user" for "username": a suggestion, and no cascade about the password.
  BOOST_TEST(errors_of("provider_mirror \"m\" {\n  origin_url = \"http://h:5000\"\n  origin_credentials {\n"
                       "    user = \"robot\"\n    password = \"pw\"\n  }\n}\n") ==
             "4:5: unknown attribute \"user\" in the origin_credentials block (did you mean \"username\"?); valid "
             "attributes: \"username\", \"password\", \"password_file\", \"password_env\", \"token\", "
             "\"token_file\", \"token_env\"");
  // An unreadable secret file is the one problem, not also every service that needs a secret.
  BOOST_TEST(errors_of("provider_mirror \"m\" {\n  origin_url = \"http://h:5000\"\n  proxy_packages = true\n}\n"
                       "server {\n  query_string_secret_file = \"nope.txt\"\n}\n") ==
             "6:30: cannot read \"" + data_path("nope.txt") + "\" named by \"query_string_secret_file\": No such "
             "file or directory");
  // A secret file that holds no secret is that problem, once; a bad retired secret is named by its line.
  BOOST_TEST(errors_of("provider_mirror \"m\" {\n  origin_url = \"http://h:5000\"\n  proxy_packages = true\n}\n"
                       "server {\n  query_string_secret_file = \"comments-only-secret.txt\"\n}\n") ==
             "6:30: the file named by query_string_secret_file holds no secret: write 64 hex digits on its first "
             "line (openssl rand -hex 32)");
  BOOST_TEST(errors_of("provider_mirror \"m\" {\n  origin_url = \"http://h:5000\"\n  proxy_packages = true\n}\n"
                       "server {\n  query_string_secret_file = \"empty-secret.txt\"\n}\n") ==
             "6:30: the file \"" + data_path("empty-secret.txt") + "\" named by \"query_string_secret_file\" is empty");
  // A bad secret in the environment, once for two services that need one.
  setenv(kSecretEnvVar, "not-hex", 1);
  BOOST_TEST(errors_of("provider_mirror \"m\" {\n  origin_url = \"http://h:5000\"\n  proxy_packages = true\n}\n"
                       "provider_mirror \"n\" {\n  origin_url = \"http://h:5000\"\n  proxy_packages = true\n}\n") ==
             "0:0: the environment variable " + std::string(kSecretEnvVar) +
                 " must hold 64 hex digits; generate them with: openssl rand -hex 32");
  forget_secret_env(kSecretEnvVar);
  BOOST_TEST(errors_of("server {\n  query_string_secret_file = \"bad-retired-secret.txt\"\n}\n") ==
             "2:30: line 5 of the file named by query_string_secret_file is not 64 hex digits");
  // origin_url is the registry's root.
  BOOST_TEST(errors_of("provider_mirror \"m\" {\n  origin_url = \"http://host:5000/v2/\"\n}\n") ==
             "2:16: origin_url is the registry's root, without the API path: write \"http://host:5000\" (this "
             "program adds /v2/... itself)");
  Config with_path = parse("provider_mirror \"m\" {\n  origin_url = \"https://art.example.com/artifactory/api/docker/r\"\n}\n");
  BOOST_TEST_REQUIRE(with_path.warnings.size() == 1u);
  BOOST_TEST(with_path.warnings[0].message.find("origin_url has a path") == 0);
  // A file:// origin whose directory is not there.
  Config layout = parse("provider_mirror \"m\" {\n  origin_url = \"file:///nonexistent/layout\"\n}\n"
                        "server {\n  query_string_secret = \"" + kSecret + "\"\n}\n");
  BOOST_TEST_REQUIRE(layout.warnings.size() == 1u);
  BOOST_TEST(layout.warnings[0].message.find("\"/nonexistent/layout\", which does not exist (yet)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(socket_owner_and_group) {
  Config c = parse("server {\n  listen_addr = \"unix:/run/x.sock\"\n  socket_owner = \"root\"\n  socket_group = \"root\"\n}\n");
  BOOST_TEST(c.server.socket_uid == 0);
  BOOST_TEST(c.server.socket_gid == 0);
  BOOST_TEST(parse("server {\n}\n").server.socket_uid == -1);
  Config numeric = parse("server {\n  listen_addr = \"unix:/run/x.sock\"\n  socket_owner = \"4321\"\n  socket_group = \"33\"\n}\n");
  BOOST_TEST(numeric.server.socket_uid == 4321);
  BOOST_TEST(numeric.server.socket_gid == 33);
  BOOST_TEST(errors_of("server {\n  socket_group = \"no-such-group-here\"\n}\n") ==
             "2:18: socket_group: there is no group \"no-such-group-here\" on this machine");
  BOOST_TEST(errors_of("server {\n  socket_owner = \"no-such-user-here\"\n}\n") ==
             "2:18: socket_owner: there is no user \"no-such-user-here\" on this machine");
}

BOOST_AUTO_TEST_CASE(a_directory_is_not_a_configuration_file) {
  // Once read as empty text, and so a valid configuration that serves only /healthz.
  try {
    load_config_file("../data/config");
    BOOST_FAIL("no error");
  } catch (const ConfigError& e) {
    BOOST_TEST(std::string(e.what()) == "../data/config: cannot read the configuration file: it is a directory, not a file");
  }
  BOOST_TEST(errors_of("provider_mirror \"m\" {\n  origin_url = \"https://r\"\n  origin_ca_file = \".\"\n}\n")
                 .find("it is a directory, not a file") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unreadable_file) {
  try {
    load_config_file("../data/config/does-not-exist.hcl");
    BOOST_FAIL("no error");
  } catch (const ConfigError& e) {
    BOOST_TEST(std::string(e.what()) ==
               "../data/config/does-not-exist.hcl: cannot read the configuration file: No such file or directory");
  }
}

BOOST_AUTO_TEST_CASE(search_prefers_the_environment_variable) {
  setenv(kConfigEnvVar, "../../example-config.hcl", 1);
  ConfigSearch s = search_config_file("/nonexistent");
  unsetenv(kConfigEnvVar);
  BOOST_TEST(s.searched.size() == 1u);
  BOOST_TEST(s.found.size() == 1u);
  setenv("XDG_CONFIG_DIRS", "/nonexistent/a:/nonexistent/b", 1);
  ConfigSearch all = search_config_file("/nonexistent/exe");
  unsetenv("XDG_CONFIG_DIRS");
  // Never the current directory: a cloned repository's config.hcl must not steer `push`.
  BOOST_TEST(std::count(all.searched.begin(), all.searched.end(), "./config.hcl") == 0);
  BOOST_TEST(all.searched.front() == "/nonexistent/exe/config.hcl");
  BOOST_TEST(std::count(all.searched.begin(), all.searched.end(),
                        "/nonexistent/b/oci-distribution-terraform-registry/config.hcl") == 1);
  BOOST_TEST(all.searched.back() == "/etc/oci-distribution-terraform-registry/config.hcl");
  BOOST_TEST(all.found.empty());
}

BOOST_AUTO_TEST_CASE(values_that_would_overflow_are_errors_with_positions) {
  BOOST_TEST(errors_of("server {\n  shutdown_timeout = \"999999999h999999999h\"\n}\n") ==
             "2:22: invalid duration \"999999999h999999999h\" for \"shutdown_timeout\": longer than the longest "
             "duration accepted, 8784h");
  BOOST_TEST(errors_of("server {\n  manifest_cache_size = \"999999999999GiB\"\n}\n") ==
             "2:25: \"manifest_cache_size\" is larger than 1024GiB");
  BOOST_TEST(errors_of("server {\n  tags_cache_ttl = 99999999999999\n}\n").find("2:20:") == 0);
}

BOOST_AUTO_TEST_CASE(upstream_blocks_for_pull_through) {
  Config c = parse(
      "provider_mirror \"m\" {\n  origin_url = \"https://r\"\n  origin_credentials {\n    username = \"u\"\n"
      "    password = \"p\"\n  }\n  upstream {\n    url = \"https://Registry.Terraform.io/\"\n"
      "    namespaces = [\"HashiCorp\", \"hashicorp\"]\n    platforms = [\"linux_amd64\"]\n"
      "    versions_ttl = \"10m\"\n    import_timeout = \"5m\"\n    max_package_size = \"512MiB\"\n  }\n}\n");
  const UpstreamConfig& up = c.provider_mirrors[0].upstream;
  BOOST_TEST(up.url == "https://Registry.Terraform.io");
  BOOST_TEST(up.hostnames == std::vector<std::string>{"registry.terraform.io"});  // the url's host by default
  BOOST_TEST(up.namespaces == std::vector<std::string>{"hashicorp"});
  BOOST_TEST(up.platforms == std::vector<std::string>{"linux_amd64"});
  BOOST_TEST(up.versions_ttl.count() == 600);
  BOOST_TEST(up.import_timeout.count() == 300);
  BOOST_TEST(up.max_package_bytes == 512u << 20);
  BOOST_TEST(up.write_credentials.username == "u");  // origin_credentials unless write_credentials
  BOOST_TEST(!up.allow_private_addresses);  // refused unless asked for
  Config w = parse("provider_mirror \"m\" {\n  origin_url = \"https://r\"\n  upstream {\n    url = \"https://u\"\n"
                   "    allow_private_addresses = true\n"
                   "    write_credentials {\n      token = \"t\"\n    }\n  }\n}\n");
  BOOST_TEST(w.provider_mirrors[0].upstream.write_credentials.token == "t");
  BOOST_TEST(w.provider_mirrors[0].upstream.allow_private_addresses);
  BOOST_TEST(!parse("provider_mirror \"m\" { origin_url = \"https://r\" }\n").provider_mirrors[0].upstream.enabled());
}

BOOST_AUTO_TEST_CASE(upstream_mistakes_are_named) {
  BOOST_TEST(errors_of("provider_mirror \"m\" {\n  origin_url = \"https://r\"\n  upstream {\n  }\n}\n").find(
                 "needs a url") != std::string::npos);
  BOOST_TEST(errors_of("provider_mirror \"m\" {\n  origin_url = \"https://r\"\n  upstream {\n    url = \"ftp://x\"\n"
                       "  }\n}\n").find("https:// URL of a provider registry") != std::string::npos);
  BOOST_TEST(errors_of("provider_mirror \"m\" {\n  origin_url = \"https://r\"\n  upstream {\n    url = \"https://x\"\n"
                       "    platforms = [\"linux\"]\n  }\n}\n") ==
             "5:18: every item of \"platforms\" must be a platform such as \"linux_amd64\"");
  for (const char* bad : {"linux_amd64_v2", "linux_", "_amd64", "linux_amd-64", "linux_amd64aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    BOOST_TEST(errors_of("provider_mirror \"m\" {\n  origin_url = \"https://r\"\n  upstream {\n    url = \"https://x\"\n"
                         "    platforms = [\"" + std::string(bad) + "\"]\n  }\n}\n") ==
                   "5:18: every item of \"platforms\" must be a platform such as \"linux_amd64\"",
               bad);
  BOOST_TEST(errors_of("provider_mirror \"m\" {\n  origin_url = \"https://r\"\n  upstream {\n    url = \"https://x\"\n"
                       "    write_credentials {\n      username = \"u\"\n    }\n  }\n}\n") ==
             "5:5: write_credentials has a username but no password, password_file or password_env");
  BOOST_TEST(errors_of("module_registry \"m\" {\n  origin_url = \"https://r\"\n  upstream {\n    url = \"https://x\"\n"
                       "  }\n}\n").find("unknown block \"upstream\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
