// An OCI image layout in a temporary directory, filled with the real push code: provider
// registry.terraform.io/acme/widget 1.0.0 and 1.1.0 (linux_amd64, darwin_arm64) under the prefix
// "terraform-providers", and module acme/net/aws 1.0.0 under "terraform-modules". config_text()
// gives a configuration serving it through all three kinds of service, at file://.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "config/config.h"
#include "oci/layout_reader.h"
#include "oci/layout_writer.h"
#include "publish/module_publish.h"
#include "publish/provider_publish.h"
#include "publish/push_report.h"
#include "server/application.h"
#include "testing/fake_clock.h"
#include "testing/fake_transport.h"
#include "terraform/naming.h"

namespace otr::testing {

inline constexpr const char* kTestSecret = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

class PublishedLayout {
 public:
  PublishedLayout() {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("otr-published-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::remove_all(dir_);
    try {
      publish();
    } catch (...) {
      std::filesystem::remove_all(dir_);
      throw;
    }
  }
  ~PublishedLayout() { std::filesystem::remove_all(dir_); }
  PublishedLayout(const PublishedLayout&) = delete;
  PublishedLayout& operator=(const PublishedLayout&) = delete;

 private:
  void publish() {
    std::ostringstream quiet;
    LineReporter reporter(quiet);
    OciLayoutTarget target(dir_.string());
    PublishSettings settings;
    settings.created = "2024-01-01T00:00:00Z";
    const ProviderAddress widget = parse_provider_address("acme/widget");
    for (const char* version : {"1.0.0", "1.1.0"}) {
      std::vector<ProviderPackage> packages;
      for (auto [os, arch] : {std::pair{"darwin", "arm64"}, std::pair{"linux", "amd64"}}) {
        ProviderPackage p;
        p.path = zip_path();
        p.file_name = std::string("terraform-provider-widget_") + version + "_" + os + "_" + arch + ".zip";
        p.os = os;
        p.arch = arch;
        packages.push_back(p);
      }
      hash_provider_packages(packages);
      publish_provider_release(target, RepositoryNaming("terraform-providers").provider(widget), widget, version,
                               packages, settings, reporter);
      zip_digest_ = packages[0].digest;
      h1_ = packages[0].h1;
    }
    const ModuleAddress net = parse_module_address("acme/net/aws");
    publish_module(target, RepositoryNaming("terraform-modules").module(net), net, "1.0.0", zip_path(),
                   "net-aws-1.0.0.zip", settings, reporter);
  }

 public:
  std::string directory() const { return dir_.string(); }
  // The package every platform of the fixture holds (one zip, stored once).
  static std::string zip_path() { return "data/provider-single.zip"; }
  std::string zip_bytes() const {
    std::ifstream in(zip_path(), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  const std::string& zip_digest() const { return zip_digest_; }
  const std::string& h1() const { return h1_; }
  // The digest of the provider release's index manifest (what checksums tokens seal).
  std::string release_digest(const std::string& version) const {
    const std::string repository = RepositoryNaming("terraform-providers").provider(parse_provider_address("acme/widget"));
    return OciLayoutReader(directory()).get_manifest(repository, version, 1u << 20).digest;
  }

  // provider_mirror "mirror", provider_registry "registry" (with the unit tests' signing key) and
  // module_registry "modules", all reading this layout; `extra` is added to the file.
  std::string config_text(const std::string& extra = "") const {
    const std::string origin = "file://" + directory();
    return "provider_mirror \"mirror\" {\n  origin_url = \"" + origin + "\"\n  name_prefix = \"terraform-providers\"\n}\n"
           "provider_registry \"registry\" {\n  origin_url = \"" + origin +
           "\"\n  name_prefix = \"terraform-providers\"\n  signing_key_file = \"" +
           std::filesystem::absolute("../data/signing/unit-test-key.gpg").string() + "\"\n}\n"
           "module_registry \"modules\" {\n  origin_url = \"" + origin + "\"\n  name_prefix = \"terraform-modules\"\n}\n"
           "server {\n  query_string_secret = \"" + kTestSecret + "\"\n  package_url_ttl = \"1h\"\n}\n" + extra;
  }
  Config config(const std::string& extra = "") const { return parse_config(config_text(extra), "test.hcl"); }

 private:
  std::filesystem::path dir_;
  std::string zip_digest_;
  std::string h1_;
};

// The application serving a PublishedLayout, with a clock the test moves and a transport that
// answers nothing (no service of the layout talks HTTP).
struct LayoutApp {
  PublishedLayout layout;
  FakeClock clock;
  FakeTransport net;
  Config config = layout.config();
  RegistryApp app{config, clock, net};
};

}  // namespace otr::testing
