// push provider --from-mirror: what a packed mirror directory with a file missing is told.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>

#include "base/error.h"
#include "publish/mirror_directory.h"

using namespace otr;
namespace fs = std::filesystem;

namespace {

// DIR/registry.terraform.io/acme/widget/ with the zips of `versions` (linux_amd64) and nothing else.
struct Mirror {
  fs::path dir;
  fs::path provider;

  explicit Mirror(const std::vector<std::string>& versions) {
    static int counter = 0;
    dir = fs::temp_directory_path() / ("otr-mirror-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    fs::remove_all(dir);
    provider = dir / "registry.terraform.io" / "acme" / "widget";
    fs::create_directories(provider);
    for (const std::string& v : versions)
      fs::copy_file("data/provider-single.zip", provider / ("terraform-provider-widget_" + v + "_linux_amd64.zip"));
  }
  ~Mirror() { fs::remove_all(dir); }

  std::string error() {
    std::vector<std::string> notes;
    try {
      scan_provider_mirror(dir.string(), notes);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(mirror_directory)

BOOST_AUTO_TEST_CASE(a_missing_version_document_is_named) {
  Mirror m({"1.0.0"});
  const std::string message = m.error();
  BOOST_TEST(message.starts_with((m.provider / "1.0.0.json").string() + ": missing; "), message);
}

BOOST_AUTO_TEST_CASE(links_to_missing_files_are_named_not_their_directory) {
  // index.json and <version>.json as symbolic links to files that are gone. Whichever entry the
  // directory lists last, the message names the file, never the provider's directory (which exists)
  // with "No such file or directory".
  for (const std::vector<std::string>& versions : {std::vector<std::string>{"1.0.0"}, {"1.0.1"}, {"1.0.0", "1.0.1"}}) {
    Mirror m(versions);
    for (const std::string& v : versions) fs::create_symlink("/nonexistent/" + v + ".json", m.provider / (v + ".json"));
    fs::create_symlink("/nonexistent/index.json", m.provider / "index.json");
    const std::string message = m.error();
    BOOST_TEST(message.starts_with((m.provider / (versions[0] + ".json")).string() +
                                   ": missing: a symbolic link to \"/nonexistent/" + versions[0] +
                                   ".json\", which does not exist; "),
               message);
    BOOST_TEST(message.find("No such file or directory") == std::string::npos, message);
  }
  // A package that is such a link is named too.
  Mirror m({});
  fs::create_symlink("/nonexistent/p.zip", m.provider / "terraform-provider-widget_1.0.0_linux_amd64.zip");
  BOOST_TEST(m.error().starts_with((m.provider / "terraform-provider-widget_1.0.0_linux_amd64.zip").string() +
                                   ": missing: a symbolic link to \"/nonexistent/p.zip\""),
             m.error());
}

BOOST_AUTO_TEST_SUITE_END()
