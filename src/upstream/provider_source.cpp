#include "upstream/provider_source.h"

#include <algorithm>

#include "base/error.h"
#include "base/json.h"
#include "base/log.h"
#include "base/names.h"
#include "base/strings.h"
#include "base/version_info.h"
#include "oci/client.h"  // resolve_url
#include "terraform/versions.h"

namespace otr {

namespace {

bool is_redirect(int status) { return status == 301 || status == 302 || status == 303 || status == 307 || status == 308; }

bool is_hex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The URL without its query string, for messages (a signed CDN URL carries its credentials there).
std::string printable(const std::string& url) { return url.substr(0, url.find_first_of("?#")); }

// An https URL that leads to a plain http one (a document's URL field, a redirect, discovery's
// providers.v1) is refused: what was asked over TLS is not taken on without it.
void refuse_downgrade(const std::string& from, const std::string& to, const std::string& what) {
  if (from.starts_with("https://") && to.starts_with("http://"))
    throw UpstreamError(what + " leads from https to plain http (" + printable(to) +
                        "), which is refused: the upstream must keep to https");
}

[[noreturn]] void transport_failure(const IncomingResponse& r, const std::string& what, const std::string& url) {
  if (r.error == TransportError::kRefused) {
    // The answer names the URL, not the address (the log has it: an anonymous client need not
    // learn what internal names resolve to).
    log_warning("the upstream registry's " + what + " at " + printable(url) + ": " + r.error_message);
    throw UpstreamError(what + " at " + printable(url) + " is on an address that is not public (loopback, private, "
                        "link-local or reserved), which is refused: set allow_private_addresses = true in the "
                        "upstream block to allow it");
  }
  const std::string message = "the upstream registry could not be read (" + what + " at " + printable(url) +
                              "): " + r.error_message;
  throw Error(r.error == TransportError::kTimeout ? ErrorKind::kTimeout : ErrorKind::kUnreachable, message);
}

[[noreturn]] void status_failure(int status, const std::string& what) {
  std::string why = status == 429 ? " (too many requests; it asks us to slow down)"
                    : status >= 500 ? " (a failure on its side)"
                                    : "";
  throw UpstreamError("the upstream registry answered " + std::to_string(status) + " for " + what + why);
}

// The host of an absolute http(s) URL, lower-case (an IPv6 literal with its brackets); "" when
// the authority holds anything but a host and a port (user information, a backslash...): such a
// URL is never taken for the upstream's own host.
std::string url_host(const std::string& url) {
  const size_t start = url.find("://");
  if (start == std::string::npos) return "";
  const size_t from = start + 3;
  std::string authority = to_lower(url.substr(from, url.find_first_of("/?#", from) - from));
  if (authority.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-:[]") != std::string::npos) return "";
  if (authority.starts_with("[")) return authority.substr(0, authority.find(']') + 1);
  return authority.substr(0, authority.find(':'));
}

}  // namespace

AddressPolicy upstream_address_policy(const UpstreamConfig& config, const std::string& url) {
  if (config.allow_private_addresses) return AddressPolicy::kAny;
  const std::string own = url_host(config.url), host = url_host(url);
  return !own.empty() && host == own ? AddressPolicy::kAny : AddressPolicy::kPublicOnly;
}

std::vector<UpstreamRelease> parse_upstream_versions(std::string_view body) {
  JsonPtr doc = json_parse(body);
  const cJSON* versions = doc ? json_array(doc.get(), "versions") : nullptr;
  if (versions == nullptr) throw UpstreamError("the upstream's versions document has no \"versions\" list");
  std::vector<UpstreamRelease> out;
  const cJSON* item = nullptr;
  cJSON_ArrayForEach(item, versions) {
    std::optional<std::string> text = json_string(item, "version");
    std::optional<Version> version = text ? parse_version(*text) : std::nullopt;
    if (!version) continue;
    UpstreamRelease r{*version, {}, {}};
    const cJSON* p = nullptr;
    if (const cJSON* protocols = json_array(item, "protocols"))
      cJSON_ArrayForEach(p, protocols) if (cJSON_IsString(p)) r.protocols.emplace_back(p->valuestring);
    if (const cJSON* platforms = json_array(item, "platforms")) {
      cJSON_ArrayForEach(p, platforms) {
        std::optional<std::string> os = json_string(p, "os"), arch = json_string(p, "arch");
        if (os && arch && is_platform_word(to_lower(*os)) && is_platform_word(to_lower(*arch)))
          r.platforms.emplace_back(to_lower(*os), to_lower(*arch));
        else
          ++r.platforms_left_out;
      }
    }
    std::sort(r.platforms.begin(), r.platforms.end());
    r.platforms.erase(std::unique(r.platforms.begin(), r.platforms.end()), r.platforms.end());
    out.push_back(std::move(r));
  }
  return out;
}

UpstreamPackage parse_upstream_download(std::string_view body, const std::string& url, const std::string& os,
                                        const std::string& arch) {
  const std::string what = "the upstream's download document for " + os + "_" + arch;
  JsonPtr doc = json_parse(body);
  if (!doc || !cJSON_IsObject(doc.get())) throw UpstreamError(what + " is not a JSON object");
  UpstreamPackage p;
  p.os = json_string(doc.get(), "os").value_or("");
  p.arch = json_string(doc.get(), "arch").value_or("");
  if (p.os != os || p.arch != arch)
    throw UpstreamError(what + " is for \"" + p.os + "_" + p.arch + "\", not the platform asked for");
  p.filename = json_string(doc.get(), "filename").value_or("");
  if (p.filename.empty() || p.filename.find('/') != std::string::npos || p.filename.find('\n') != std::string::npos)
    throw UpstreamError(what + " has no usable filename");
  p.shasum = to_lower(json_string(doc.get(), "shasum").value_or(""));
  if (!is_hex64(p.shasum)) throw UpstreamError(what + " has no shasum of 64 hex digits");
  for (auto [field, target] : {std::pair{"download_url", &p.download_url}, std::pair{"shasums_url", &p.shasums_url},
                               std::pair{"shasums_signature_url", &p.shasums_signature_url}}) {
    std::string value = json_string(doc.get(), field).value_or("");
    if (value.empty()) throw UpstreamError(what + " has no " + field);
    *target = resolve_url(url, value);
    if (!target->starts_with("https://") && !target->starts_with("http://"))
      throw UpstreamError(what + " gives a " + field + " that is not an http(s) URL");
    refuse_downgrade(url, *target, what + "'s " + field);
  }
  const cJSON* item = nullptr;
  if (const cJSON* protocols = json_array(doc.get(), "protocols"))
    cJSON_ArrayForEach(item, protocols) if (cJSON_IsString(item)) p.protocols.emplace_back(item->valuestring);
  const cJSON* keys = json_object(doc.get(), "signing_keys");
  if (const cJSON* list = keys ? json_array(keys, "gpg_public_keys") : nullptr)
    cJSON_ArrayForEach(item, list) {
      std::string armor = json_string(item, "ascii_armor").value_or("");
      if (!armor.empty()) p.signing_keys.push_back(std::move(armor));
    }
  if (p.signing_keys.empty())
    throw UpstreamError(what + " names no signing key: an unsigned release cannot be verified, so it is not imported");
  return p;
}

ProviderSource::ProviderSource(UpstreamConfig config, HttpTransport& transport, Seconds connect_timeout,
                               Seconds request_timeout, Seconds stall_timeout)
    : config_(std::move(config)),
      transport_(transport),
      connect_timeout_(connect_timeout),
      request_timeout_(request_timeout),
      stall_timeout_(stall_timeout) {}

std::size_t ProviderSource::requests_sent() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

OutgoingRequest ProviderSource::request_for(const std::string& url, bool document) const {
  OutgoingRequest r;
  r.url = url;
  r.headers = {std::string("User-Agent: ") + kUserAgent};
  if (document) r.headers.push_back("Accept: application/json");
  r.connect_timeout = connect_timeout_;
  r.total_timeout = document ? request_timeout_ : Seconds(0);
  r.stall_timeout = document ? Seconds(0) : stall_timeout_;
  r.ca_file = config_.ca_file;
  r.addresses = upstream_address_policy(config_, url);
  return r;
}

std::optional<IncomingResponse> ProviderSource::get(const std::string& url, bool document, std::size_t limit,
                                                    const std::string& what, std::string* final_url) {
  std::string next = url;
  for (int hop = 0; hop <= kMaxRedirects; ++hop) {
    OutgoingRequest request = request_for(next, document);
    request.max_body = limit;
    {
      std::lock_guard lock(mutex_);
      ++requests_;
    }
    IncomingResponse r = transport_.fetch(request);
    if (r.error == TransportError::kTooLarge)
      throw UpstreamError(what + " from the upstream registry is larger than " + std::to_string(limit) + " bytes");
    if (r.error != TransportError::kNone) transport_failure(r, what, next);
    if (is_redirect(r.status)) {
      std::string location = r.headers.get("Location");
      if (location.empty()) throw UpstreamError("the upstream registry redirected " + what + " without a Location");
      std::string target = resolve_url(next, location);
      refuse_downgrade(next, target, "the upstream registry's redirect of " + what);
      next = std::move(target);
      continue;
    }
    if (r.status == 404 || r.status == 410) return std::nullopt;
    if (r.status != 200) status_failure(r.status, what);
    if (final_url != nullptr) *final_url = next;
    return r;
  }
  throw UpstreamError("the upstream registry redirected " + what + " more than " + std::to_string(kMaxRedirects) +
                      " times");
}

std::string ProviderSource::providers_url() {
  {
    std::lock_guard lock(mutex_);
    if (!providers_url_.empty()) return providers_url_;
  }
  std::string discovery = config_.url + "/.well-known/terraform.json";
  std::optional<IncomingResponse> r =
      get(discovery, true, kMaxUpstreamDocument, "its service discovery document", &discovery);
  if (!r) throw UpstreamError("the upstream registry has no service discovery document (/.well-known/terraform.json)");
  JsonPtr doc = json_parse(r->body);
  std::optional<std::string> providers = doc ? json_string(doc.get(), "providers.v1") : std::nullopt;
  if (!providers || providers->empty())
    throw UpstreamError("the upstream's service discovery document names no providers.v1 service");
  std::string resolved = resolve_url(discovery, *providers);
  refuse_downgrade(discovery, resolved, "the upstream's service discovery document (providers.v1)");
  if (!resolved.ends_with("/")) resolved += "/";
  std::lock_guard lock(mutex_);
  providers_url_ = resolved;
  return resolved;
}

std::optional<std::vector<UpstreamRelease>> ProviderSource::releases(const std::string& ns, const std::string& type) {
  std::string url = providers_url() + ns + "/" + type + "/versions";
  std::optional<IncomingResponse> r = get(url, true, kMaxUpstreamDocument, "the versions of " + ns + "/" + type);
  if (!r) return std::nullopt;
  std::vector<UpstreamRelease> releases = parse_upstream_versions(r->body);
  for (const UpstreamRelease& release : releases)
    if (release.platforms_left_out > 0)
      log_warning("the upstream's " + ns + "/" + type + " " + release.version.to_string() + " lists " +
                  std::to_string(release.platforms_left_out) + " platform(s) whose os or arch is not 1 to 32 "
                  "lower-case letters and digits: left out of the release");
  return releases;
}

std::optional<UpstreamPackage> ProviderSource::package(const std::string& ns, const std::string& type,
                                                       const Version& version, const std::string& os,
                                                       const std::string& arch) {
  std::string url = providers_url() + ns + "/" + type + "/" + version.to_string() + "/download/" + os + "/" + arch;
  std::string fetched_from = url;
  std::optional<IncomingResponse> r =
      get(url, true, kMaxUpstreamDocument,
          "the download document of " + ns + "/" + type + " " + version.to_string() + " " + os + "_" + arch,
          &fetched_from);
  if (!r) return std::nullopt;
  return parse_upstream_download(r->body, fetched_from, os, arch);
}

std::string ProviderSource::small_file(const std::string& url, std::size_t limit, const std::string& what) {
  std::optional<IncomingResponse> r = get(url, false, limit, what);
  if (!r) throw UpstreamError("the upstream registry has no " + what + " (404)");
  return std::move(r->body);
}

void ProviderSource::download(const std::string& url, const std::string& what,
                              const std::function<void(std::int64_t)>& on_size,
                              const std::function<void(std::string_view)>& on_data) {
  std::string next = url;
  for (int hop = 0; hop <= kMaxRedirects; ++hop) {
    OutgoingRequest request = request_for(next, false);
    {
      std::lock_guard lock(mutex_);
      ++requests_;
    }
    int status = 0;
    std::string location;
    std::int64_t received = 0;
    const auto too_large = [&] {
      return UpstreamError(what + " from the upstream registry is larger than max_package_size (" +
                           std::to_string(config_.max_package_bytes) + " bytes)");
    };
    IncomingResponse r = transport_.stream(
        request,
        [&](int s, const Headers& headers) {
          status = s;
          if (is_redirect(s)) {
            location = headers.get("Location");
            return false;
          }
          if (s != 200) return false;
          std::int64_t size = -1;
          std::string length = headers.get("Content-Length");
          if (!length.empty() && length.size() < 19 && std::all_of(length.begin(), length.end(), ::isdigit))
            size = std::stoll(length);
          if (size > static_cast<std::int64_t>(config_.max_package_bytes)) throw too_large();
          on_size(size);
          return true;
        },
        [&](std::string_view chunk) {
          received += static_cast<std::int64_t>(chunk.size());
          if (received > static_cast<std::int64_t>(config_.max_package_bytes)) throw too_large();
          on_data(chunk);
          return true;
        });
    if (is_redirect(status)) {
      if (location.empty()) throw UpstreamError("the upstream registry redirected " + what + " without a Location");
      std::string target = resolve_url(next, location);
      refuse_downgrade(next, target, "the upstream registry's redirect of " + what);
      next = std::move(target);
      continue;
    }
    if (status != 0 && status != 200) {
      if (status == 404) throw UpstreamError("the upstream registry has no " + what + " (404)");
      status_failure(status, what);
    }
    if (r.error != TransportError::kNone) transport_failure(r, what, next);
    return;
  }
  throw UpstreamError("the upstream registry redirected " + what + " more than " + std::to_string(kMaxRedirects) +
                      " times");
}

}  // namespace otr
