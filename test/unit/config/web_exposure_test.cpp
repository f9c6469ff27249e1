#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "config/config.h"
#include "config/web_exposure.h"

namespace otr {
namespace {

namespace fs = std::filesystem;

// A shared-hosting-like tree: www/tf/config.hcl with secrets beside it and below it, and one outside www/.
struct Site {
  fs::path root = fs::temp_directory_path() / ("otr-exposure-" + std::to_string(::getpid()));
  fs::path www = root / "www";
  fs::path dir = www / "tf";
  fs::path outside = root / "private";

  Site() {
    fs::remove_all(root);
    fs::create_directories(dir / "keys");
    fs::create_directories(outside);
    write(dir / "secret", std::string(64, 'a') + "\n");
    write(dir / "keys" / "metrics-token", "tok\n");
    write(outside / "password", "pw\n");
  }
  ~Site() { fs::remove_all(root); }

  static void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

  Config load() const {
    const std::string text =
        "provider_mirror \"m\" {\n  origin_url = \"https://r.test\"\n  origin_credentials {\n"
        "    username = \"u\"\n    password_file = \"" + (outside / "password").string() + "\"\n  }\n}\n"
        "server {\n  query_string_secret_file = \"secret\"\n  metrics = true\n"
        "  metrics_token_file = \"keys/metrics-token\"\n}\n";
    return parse_config(text, (dir / "config.hcl").string());
  }
};

std::vector<std::string> named(const std::vector<Diagnostic>& warnings) {
  std::vector<std::string> out;
  for (const Diagnostic& d : warnings) {
    BOOST_TEST(d.warning);
    out.push_back(d.message.substr(d.message.find("named by \"") + 10,
                                   d.message.find('"', d.message.find("named by \"") + 10) -
                                       d.message.find("named by \"") - 10));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(web_exposure)

// Issue 18, finding 11: a secret read from beside (or below) the configuration, in a directory with
// an .htaccess, is one a web server may serve.
BOOST_AUTO_TEST_CASE(secrets_in_a_directory_with_an_htaccess_are_warned_of) {
  Site site;
  Config config = site.load();
  BOOST_TEST(config.secret_files.size() == 3u);
  BOOST_TEST(exposed_secret_files(config, "").empty());  // nothing says the directory is served

  Site::write(site.dir / ".htaccess", "Require all denied\n");
  std::vector<Diagnostic> warnings = exposed_secret_files(config, "");
  BOOST_TEST(named(warnings) == (std::vector<std::string>{"metrics_token_file", "query_string_secret_file"}),
             boost::test_tools::per_element());
  const Diagnostic& secret = warnings[0].message.find("\"query_string_secret_file\"") != std::string::npos
                                ? warnings[0] : warnings[1];
  BOOST_TEST(secret.message.find("which has an .htaccess file") != std::string::npos);
  BOOST_TEST(secret.message.find("\"" + (site.dir / "secret").string() + "\"") != std::string::npos);
  BOOST_TEST(secret.pos.line == 9);  // at the attribute naming it
  BOOST_TEST(secret.message.find(std::string(64, 'a')) == std::string::npos);  // never the secret itself
}

BOOST_AUTO_TEST_CASE(an_htaccess_above_counts_too) {
  Site site;
  Site::write(site.www / ".htaccess", "Options -Indexes\n");
  BOOST_TEST(named(exposed_secret_files(site.load(), "")) ==
                 (std::vector<std::string>{"metrics_token_file", "query_string_secret_file"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(secrets_under_document_root_are_warned_of) {
  Site site;
  Config config = site.load();
  BOOST_TEST(named(exposed_secret_files(config, site.www.string())) ==
                 (std::vector<std::string>{"metrics_token_file", "query_string_secret_file"}),
             boost::test_tools::per_element());
  BOOST_TEST(named(exposed_secret_files(config, (site.www / ".." / "www" / "").string())).size() == 2u);
  BOOST_TEST(exposed_secret_files(config, (site.root / "ww").string()).empty());  // a prefix is not a parent
  BOOST_TEST(named(exposed_secret_files(config, site.root.string())).size() == 3u);
}

BOOST_AUTO_TEST_CASE(a_signing_key_file_is_a_secret_file) {
  Site site;
  Site::write(site.dir / "key.asc", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n");
  Site::write(site.dir / ".htaccess", "\n");
  Config config = parse_config("provider_registry \"r\" {\n  origin_url = \"https://r.test\"\n"
                               "  signing_key_file = \"key.asc\"\n}\n",
                               (site.dir / "config.hcl").string());
  BOOST_TEST(named(exposed_secret_files(config, "")) == (std::vector<std::string>{"signing_key_file"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace otr
