// A client of an upstream provider registry (the Provider Registry Protocol, as Terraform and
// OpenTofu speak it; ../shared/reference/terraform-protocols.md "Being a client of an upstream"):
// discovery, a provider's versions, a platform's download document, and the files those name
// (SHA256SUMS, its signature, the package), for pull-through and `push provider --from-registry`.
//
// Requests carry `Accept: application/json` (documents) and our User-Agent, never credentials; the
// files may live on other hosts and redirect further: redirects are followed (at most
// kMaxRedirects), still without credentials, never from https to plain http (nor may a document's
// URLs or discovery lead there): that is refused with kUpstream. What the upstream leads to on
// another host must be on a public address unless allow_private_addresses is set
// (upstream_address_policy(); the transport checks the address actually connected to; a refusal
// is kUpstream too). Every call has the configured connect timeout and a total (documents, small
// files) or stall (packages) timeout; sizes are bounded.
//
// "Is it there?" is a value (nullopt: the upstream answered 404). Failures throw Error:
// kUnreachable / kTimeout (the upstream could not be asked), kUpstream (it answered with an error
// status, 429 included, or with what cannot be used), with messages that name the upstream's
// document, not its URL's query string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "http/client.h"
#include "terraform/versions.h"

namespace otr {

inline constexpr int kMaxRedirects = 10;
inline constexpr std::size_t kMaxUpstreamDocument = 1u << 20;  // discovery, versions, download documents
inline constexpr std::size_t kMaxChecksumsFile = 1u << 20;     // SHA256SUMS and its signature

// One version in the upstream's versions document.
struct UpstreamRelease {
  Version version;
  std::vector<std::string> protocols;                          // as the upstream lists them ("5.0")
  std::vector<std::pair<std::string, std::string>> platforms;  // (os, arch), sorted, unique
  std::size_t platforms_left_out = 0;  // listed with an os or arch that is no is_platform_word()
};

// The upstream's download document for one platform of one version. URLs are absolute (resolved
// against the document's URL).
struct UpstreamPackage {
  std::string os, arch;
  std::string filename;
  std::string download_url;
  std::string shasums_url;
  std::string shasums_signature_url;
  std::string shasum;                       // 64 lower-case hex digits
  std::vector<std::string> protocols;
  std::vector<std::string> signing_keys;    // ascii_armor of each signing_keys.gpg_public_keys entry
};

// Parses a versions document (pure; throws UpstreamError naming what is wrong). Versions that do
// not parse are left out, as clients do; so are platforms whose os or arch is not a platform word
// (base/names.h: the `platforms` attribute's grammar), counted in platforms_left_out (releases()
// logs them): such text never reaches a URL, an OCI platform or a document.
std::vector<UpstreamRelease> parse_upstream_versions(std::string_view body);
// Parses a download document fetched from `url` (pure; throws UpstreamError). It must name the
// platform asked for, a 64-hex shasum, and at least one signing key; its URLs must be http(s), and
// plain http only when `url` is.
UpstreamPackage parse_upstream_download(std::string_view body, const std::string& url, const std::string& os,
                                        const std::string& arch);

// The address policy of every fetch of `url` a source for `config` makes (README "Pull-through",
// allow_private_addresses): AddressPolicy::kAny when config.allow_private_addresses is set, or when
// the URL's host is the upstream's own (the host written in config.url, compared case-insensitively,
// on any port: the operator chose it, public or not); kPublicOnly for every other host (discovery's
// providers.v1 elsewhere, download, SHA256SUMS and signature URLs, redirects), whatever its name
// resolves to. A URL with user information in its authority is never the upstream's own host.
AddressPolicy upstream_address_policy(const UpstreamConfig& config, const std::string& url);

// Thread-safe: one source serves every thread of a process (discovery is done once and kept).
class ProviderSource {
 public:
  // `transport` must outlive the source. `connect_timeout` and `request_timeout` bound each
  // document and small file; packages have `stall_timeout` instead of a total.
  ProviderSource(UpstreamConfig config, HttpTransport& transport, Seconds connect_timeout, Seconds request_timeout,
                 Seconds stall_timeout);

  const UpstreamConfig& config() const { return config_; }

  // The upstream's versions of NAMESPACE/TYPE; nullopt when it has no such provider.
  std::optional<std::vector<UpstreamRelease>> releases(const std::string& ns, const std::string& type);

  // The download document of one platform; nullopt when the upstream has no such version or platform.
  std::optional<UpstreamPackage> package(const std::string& ns, const std::string& type, const Version& version,
                                         const std::string& os, const std::string& arch);

  // A small file (SHA256SUMS, its signature) of at most `limit` bytes; `what` names it in messages.
  std::string small_file(const std::string& url, std::size_t limit, const std::string& what);

  // Streams a package to `on_data`, with its total size (-1 when the upstream does not say) given
  // to `on_size` first; at most config().max_package_bytes.
  void download(const std::string& url, const std::string& what, const std::function<void(std::int64_t)>& on_size,
                const std::function<void(std::string_view)>& on_data);

  // How many requests this source has sent (for reports and tests).
  std::size_t requests_sent() const;

 private:
  OutgoingRequest request_for(const std::string& url, bool document) const;
  // GET `url`, following redirects (the URL answered goes to `final_url`); `nullopt` on 404. Throws
  // for other failures.
  std::optional<IncomingResponse> get(const std::string& url, bool document, std::size_t limit,
                                      const std::string& what, std::string* final_url = nullptr);
  // The providers.v1 URL (absolute, ending in '/'), discovered once.
  std::string providers_url();

  const UpstreamConfig config_;
  HttpTransport& transport_;
  const Seconds connect_timeout_, request_timeout_, stall_timeout_;
  mutable std::mutex mutex_;
  std::string providers_url_;
  std::size_t requests_ = 0;
};

}  // namespace otr
