#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "publish/docker_credentials.h"
#include "testing/errors.h"

using namespace otr;

namespace {

// A directory holding fake docker-credential-* programs, put first in PATH while it lives.
class FakeHelpers {
 public:
  FakeHelpers() : dir_(std::filesystem::temp_directory_path() / ("otr-helpers-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
    const char* path = std::getenv("PATH");
    old_path_ = path ? path : "";
    setenv("PATH", (dir_.string() + ":" + old_path_).c_str(), 1);
  }
  ~FakeHelpers() {
    setenv("PATH", old_path_.c_str(), 1);
    std::filesystem::remove_all(dir_);
  }
  void add(const std::string& name, const std::string& script) {
    std::string path = (dir_ / ("docker-credential-" + name)).string();
    std::ofstream(path) << "#!/bin/sh\n" << script;
    ::chmod(path.c_str(), 0755);
  }

 private:
  std::filesystem::path dir_;
  std::string old_path_;
};

std::string error_of(const std::function<void()>& f) { return otr::testing::message_of<CredentialError>(f); }

}  // namespace

BOOST_AUTO_TEST_SUITE(docker_credentials)

BOOST_AUTO_TEST_CASE(auths_by_host_in_any_spelling) {
  // "robot:s3cret" and "other:pw"
  std::string config = R"({
    "auths": {
      "https://registry.example.com/v1/": {"auth": "cm9ib3Q6czNjcmV0"},
      "127.0.0.1:5000": {"username": "u", "password": "p"},
      "http://tokens.example.com": {"identitytoken": "refresh-me"},
      "bearer.example.com": {"registrytoken": "abc"},
      "empty.example.com": {}
    }})";
  DockerConfigEntry e = lookup_docker_config(config, "registry.example.com");
  BOOST_TEST_REQUIRE(e.credential.has_value());
  BOOST_TEST(e.credential->username == "robot");
  BOOST_TEST(e.credential->password == "s3cret");
  BOOST_TEST(e.helper.empty());
  e = lookup_docker_config(config, "REGISTRY.example.com");
  BOOST_TEST(e.credential.has_value());
  e = lookup_docker_config(config, "127.0.0.1:5000");
  BOOST_TEST(e.credential->username == "u");
  BOOST_TEST(e.credential->password == "p");
  BOOST_TEST(lookup_docker_config(config, "tokens.example.com").credential->identity_token == "refresh-me");
  BOOST_TEST(lookup_docker_config(config, "bearer.example.com").credential->registry_token == "abc");
  BOOST_TEST(!lookup_docker_config(config, "empty.example.com").credential.has_value());
  BOOST_TEST(!lookup_docker_config(config, "127.0.0.1:5001").credential.has_value());
  BOOST_TEST(!lookup_docker_config(config, "example.com").credential.has_value());
}

BOOST_AUTO_TEST_CASE(helpers_per_registry_then_the_store) {
  std::string config = R"({"credsStore": "desktop", "credHelpers": {"ecr.example.com": "ecr-login"},
                            "auths": {"ecr.example.com": {}}})";
  BOOST_TEST(lookup_docker_config(config, "ecr.example.com").helper == "ecr-login");
  BOOST_TEST(lookup_docker_config(config, "other.example.com").helper == "desktop");
  BOOST_TEST(lookup_docker_config("{}", "x").helper.empty());
}

BOOST_AUTO_TEST_CASE(malformed_configuration_is_an_error_without_secrets) {
  BOOST_TEST(error_of([] { lookup_docker_config("[1]", "x"); }).find("not a JSON object") != std::string::npos);
  BOOST_TEST(error_of([] { lookup_docker_config("{", "x"); }) != "no error");
  // base64 of "nocolon": an auth that is not user:password
  std::string message = error_of([] { lookup_docker_config(R"({"auths":{"x":{"auth":"bm9jb2xvbg=="}}})", "x"); });
  BOOST_TEST(message.find("not base64 of \"user:password\"") != std::string::npos);
  BOOST_TEST(message.find("nocolon") == std::string::npos);
  BOOST_TEST(message.find("bm9jb2xvbg") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(config_keys_become_hosts) {
  BOOST_TEST(docker_config_host("https://index.docker.io/v1/") == "index.docker.io");
  BOOST_TEST(docker_config_host("http://127.0.0.1:5000") == "127.0.0.1:5000");
  BOOST_TEST(docker_config_host("Registry.Example.com") == "registry.example.com");
}

BOOST_AUTO_TEST_CASE(helper_answers) {
  DockerCredential c = parse_helper_output(R"({"ServerURL":"x","Username":"AWS","Secret":"pw"})");
  BOOST_TEST(c.username == "AWS");
  BOOST_TEST(c.password == "pw");
  c = parse_helper_output(R"({"ServerURL":"x","Username":"<token>","Secret":"refresh"})");
  BOOST_TEST(c.username.empty());
  BOOST_TEST(c.identity_token == "refresh");
  BOOST_TEST(error_of([] { parse_helper_output("credentials not found"); }) != "no error");
}

BOOST_AUTO_TEST_CASE(helper_programs_are_run_with_the_host_on_stdin) {
  FakeHelpers helpers;
  // Answers only for the host it is asked about; says "not found" like docker's helpers otherwise.
  helpers.add("fake", "read host\n[ \"$1\" = get ] || exit 2\n"
                      "if [ \"$host\" = registry.example.com ]; then\n"
                      "  printf '{\"ServerURL\":\"%s\",\"Username\":\"robot\",\"Secret\":\"pw\"}' \"$host\"\n"
                      "else echo 'credentials not found in native keychain'; exit 1; fi\n");
  helpers.add("broken", "echo oops; exit 3\n");
  helpers.add("slow", "sleep 5\n");
  auto c = run_credential_helper("fake", "registry.example.com");
  BOOST_TEST_REQUIRE(c.has_value());
  BOOST_TEST(c->username == "robot");
  BOOST_TEST(c->password == "pw");
  BOOST_TEST(!run_credential_helper("fake", "other.example.com").has_value());
  BOOST_TEST(error_of([] { run_credential_helper("broken", "x"); }).find("exit status 3") != std::string::npos);
  BOOST_TEST(error_of([] { run_credential_helper("missing", "x"); }).find("cannot be run") != std::string::npos);
  BOOST_TEST(error_of([] { run_credential_helper("slow", "x", std::chrono::seconds(1)); }).find("did not answer") !=
             std::string::npos);
  BOOST_TEST(error_of([] { run_credential_helper("../evil", "x"); }).find("not a credential helper name") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_helper_that_never_reads_its_input_does_not_kill_us_with_sigpipe) {
  // The host name is written to the helper's stdin; a helper that exits first once raised SIGPIPE
  // (default action: terminate) in `push`. A host longer than the pipe makes the write meet the
  // closed pipe every time. This test process keeps SIGPIPE at its default.
  struct sigaction previous {};
  struct sigaction defaults {};
  defaults.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &defaults, &previous);
  FakeHelpers helpers;
  helpers.add("deaf", "exec 0<&-\necho '{\"Username\":\"u\",\"Secret\":\"s\"}'\n");
  std::optional<DockerCredential> c = run_credential_helper("deaf", std::string(1 << 20, 'h'));
  sigaction(SIGPIPE, &previous, nullptr);
  BOOST_TEST_REQUIRE(c.has_value());
  BOOST_TEST(c->username == "u");
}

BOOST_AUTO_TEST_SUITE_END()
