// A scripted upstream provider registry for unit tests: acme/widget 1.0.0 with three platforms
// (linux_amd64, darwin_arm64, windows_amd64; the darwin download redirects to "storage") and some
// malformed ones (kMalformed), signed with the unit tests' key; 0.9.0 with malformed platforms
// only; optionally a tampered darwin zip or another key listed than the signer's.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/sha256.h"
#include "config/config.h"
#include "openpgp/gnupg.h"
#include "testing/fake_transport.h"

namespace otr::testing {

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline constexpr const char* kUp = "https://up.example";

// Platforms the versions document lists besides the good ones (1.0.0) or alone (0.9.0): an os or
// arch outside the platform grammar, each of which would change a URL, a document or an OCI
// platform if it were taken. Nothing answers for them: asking would fail the test.
inline constexpr const char* kMalformed =
    R"({"os":"linux","arch":"amd64/../../../../evil"},{"os":"linux?x=","arch":"amd64"},)"
    R"({"os":"darwin","arch":"arm64
"},{"os":"windows_amd64","arch":"x"})";

// An upstream serving acme/widget 1.0.0 for linux_amd64 and darwin_arm64, signed by `publisher`;
// the zips are `package` (the unit tests' provider zip when empty; darwin's with one byte appended
// when `tamper`), correctly listed in the signed SHA256SUMS whatever they hold.
struct Upstream {
  explicit Upstream(const std::string& signing_key = "../data/signing/unit-test-key.gpg", bool tamper = false,
                    bool list_other_key = false, const std::string& package = "")
      : publisher(signing_key, ""), listed("../data/signing/other-publisher-key.gpg", "") {
    zip = package.empty() ? read_all("data/provider-single.zip") : package;
    std::string darwin = tamper ? zip + "x" : zip;
    const std::string hex = sha256_hex(zip);
    shasums = hex + "  terraform-provider-widget_1.0.0_darwin_arm64.zip\n" + hex +
              "  terraform-provider-widget_1.0.0_linux_amd64.zip\n" + hex +
              "  terraform-provider-widget_1.0.0_windows_amd64.zip\n";
    const std::string key = list_other_key ? listed.public_key_armored() : publisher.public_key_armored();
    transport.on("GET", std::string(kUp) + "/.well-known/terraform.json",
                 ScriptedAnswer(200, {{"Content-Type", "application/json"}}, R"({"providers.v1":"/v1/providers/"})"));
    transport.on("GET", std::string(kUp) + "/v1/providers/acme/widget/versions",
                 ScriptedAnswer(200, {}, R"({"versions":[{"version":"1.0.0","protocols":["6.0"],"platforms":[)"
                                         R"({"os":"linux","arch":"amd64"},{"os":"darwin","arch":"arm64"},)"
                                         R"({"os":"windows","arch":"amd64"},)" + std::string(kMalformed) +
                                         R"(]},{"version":"0.9.0","platforms":[)" + kMalformed + "]}]}"));
    for (const char* platform : {"linux/amd64", "darwin/arm64", "windows/amd64"}) {
      std::string p = platform;
      std::string os = p.substr(0, p.find('/')), arch = p.substr(p.find('/') + 1);
      std::string doc = std::string(R"({"os":")") + os + R"(","arch":")" + arch +
                        R"(","filename":"terraform-provider-widget_1.0.0_)" + os + "_" + arch +
                        R"(.zip","download_url":"https://cdn.example/)" + os + "_" + arch +
                        R"(.zip","shasums_url":"../../SHA256SUMS","shasums_signature_url":"../../SHA256SUMS.sig",)"
                        R"("shasum":")" + hex + R"(","protocols":["6.0"],"signing_keys":{"gpg_public_keys":[)"
                        R"({"key_id":"X","ascii_armor":)" + json_quoted(key) + "}]}}";
      transport.on("GET", std::string(kUp) + "/v1/providers/acme/widget/1.0.0/download/" + p, ScriptedAnswer(200, {}, doc));
    }
    transport.on("GET", std::string(kUp) + "/v1/providers/acme/widget/1.0.0/SHA256SUMS.sig",
                 ScriptedAnswer(200, {}, publisher.sign(shasums)));
    transport.on("GET", std::string(kUp) + "/v1/providers/acme/widget/1.0.0/SHA256SUMS", ScriptedAnswer(200, {}, shasums));
    // The CDN redirects to its storage, as release hosts do.
    transport.on("GET", "https://cdn.example/darwin_arm64.zip",
                 ScriptedAnswer(302, {{"Location", "https://storage.example/darwin.zip?sig=secret"}}));
    transport.on("GET", "https://storage.example/darwin.zip", ScriptedAnswer(200, {}, darwin));
    transport.on("GET", "https://cdn.example/", ScriptedAnswer(200, {}, zip));
  }

  static constexpr std::size_t kMalformedPlatforms = 4;  // in kMalformed

  static std::string json_quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '\n') out += "\\n";
      else if (c == '"') out += "\\\"";
      else out += c;
    }
    return out + "\"";
  }

  UpstreamConfig config(std::vector<std::string> platforms = {}) const {
    UpstreamConfig c;
    c.url = kUp;
    c.hostnames = {"registry.terraform.io"};
    c.platforms = std::move(platforms);
    return c;
  }

  OpenPgpSigner publisher;
  OpenPgpSigner listed;  // another key, listed instead of the publisher's when asked
  FakeTransport transport;
  std::string zip, shasums;
};

}  // namespace otr::testing
