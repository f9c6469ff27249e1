#include "oci/client.h"

#include <strings.h>

#include <algorithm>
#include <cctype>

#include "base/json.h"
#include "base/names.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "http/www_authenticate.h"
#include "oci/digest_verifier.h"

namespace otr {

namespace {

constexpr const char* kManifestAccept =
    "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr int kMaxRedirects = 5;
constexpr int kMaxTagPages = 10000;
constexpr int kTagPageSize = 1000;
constexpr int kMaxCatalogPages = 10;       // per find_repositories call
constexpr std::size_t kCatalogPageSize = 100;  // registries refuse n above their own maximum (often 1000)
constexpr std::size_t kMaxCatalogPageBytes = 1u << 20;


// "scheme://authority" of an absolute URL, lower-cased, without the scheme's default port; ""
// when `url` is not absolute. Two URLs with the same origin reach the same server.
std::string origin_of(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  size_t path_start = url.find_first_of("/?#", scheme_end + 3);
  std::string origin = to_lower(url.substr(0, path_start));
  if (origin.starts_with("https://") && origin.ends_with(":443")) origin.resize(origin.size() - 4);
  if (origin.starts_with("http://") && origin.ends_with(":80")) origin.resize(origin.size() - 3);
  return origin;
}

}  // namespace

namespace {

// RFC 3986 5.2.4: "a/b/../c/./d" -> "a/c/d", on a path that starts with '/'.
std::string remove_dot_segments(const std::string& path) {
  std::vector<std::string> kept;
  size_t start = 1;
  bool directory = false;  // the path ends in '/' (or in a dot segment)
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    std::string segment = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    directory = end != std::string::npos || segment.empty();
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
      directory = true;
    } else if (segment == ".") {
      directory = true;
    } else if (end != std::string::npos || !segment.empty()) {
      kept.push_back(segment);
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  std::string out;
  for (const std::string& segment : kept) out += "/" + segment;
  if (directory || out.empty()) out += "/";
  return out;
}

}  // namespace

std::string resolve_url(const std::string& base, const std::string& target) {
  if (target.starts_with("http://") || target.starts_with("https://")) return target;
  if (target.starts_with("//")) return base.substr(0, base.find("://") + 1) + target;
  std::string origin = origin_of(base);
  std::string reference = target;
  if (!target.starts_with("/")) {
    const size_t authority = base.find("://") == std::string::npos ? 0 : base.find("://") + 3;
    const size_t path_start = std::min(base.find_first_of("/?#", authority), base.size());
    const size_t cut = std::min(base.find_first_of("?#", authority), base.size());
    std::string directory = path_start < cut ? base.substr(path_start, cut - path_start) : "/";
    if (directory.empty() || directory[0] != '/') directory = "/";
    reference = directory.substr(0, directory.rfind('/') + 1) + target;
  }
  size_t query = reference.find_first_of("?#");
  std::string path = reference.substr(0, query);
  return origin + remove_dot_segments(path) + (query == std::string::npos ? "" : reference.substr(query));
}

namespace {

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// The target of `Link: <...>; rel="next"`, or "".
std::string next_link(const Headers& headers) {
  for (const auto& [name, value] : headers.all()) {
    if (name.size() != 4 || strncasecmp(name.c_str(), "link", 4) != 0) continue;
    size_t open = value.find('<');
    size_t close = value.find('>', open == std::string::npos ? 0 : open);
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string params = to_lower(value.substr(close + 1));
    params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
    if (params.find("rel=\"next\"") != std::string::npos || params.find("rel=next") != std::string::npos)
      return value.substr(open + 1, close - open - 1);
  }
  return {};
}

std::string media_type_of(const std::string& content_type) {
  return trim(std::string_view(content_type).substr(0, content_type.find(';')));
}

}  // namespace

RegistryEndpoint endpoint_of(const ServiceConfig& config) {
  RegistryEndpoint endpoint;
  endpoint.base_url = config.origin_url;
  endpoint.credentials = config.credentials;
  endpoint.settings = config.origin;
  return endpoint;
}

void throw_for_response(const IncomingResponse& r, const std::string& what) {
  switch (r.error) {
    case TransportError::kNone:
    case TransportError::kAborted:
      break;
    case TransportError::kTimeout:
      throw Error(ErrorKind::kTimeout, what + ": registry timed out (" + r.error_message + ")");
    case TransportError::kUnreachable:
      throw Error(ErrorKind::kUnreachable, what + ": registry unreachable (" + r.error_message + ")");
    case TransportError::kTooLarge:
      throw Error(ErrorKind::kBadResponse, what + ": registry response exceeds the configured size limit");
    case TransportError::kRefused:  // never asked of registries; judged like any connection failure
    case TransportError::kOther:
      throw Error(ErrorKind::kUnreachable, what + ": " + r.error_message);
  }
  if (r.status == 401 || r.status == 403)
    throw Error(ErrorKind::kUnauthorized, what + ": registry denied access (" + std::to_string(r.status) + ")");
  if (r.status == 404) throw Error(ErrorKind::kNotFound, what + ": not found in registry");
  throw Error(ErrorKind::kBadResponse, what + ": registry answered status " + std::to_string(r.status));
}

OciClient::OciClient(const RegistryEndpoint& endpoint, AuthCache& auth, std::string caller_authorization,
                     RequestStats& stats, HttpTransport& transport)
    : endpoint_(endpoint), auth_(auth), caller_authorization_(std::move(caller_authorization)), stats_(stats),
      transport_(transport) {}

void OciClient::fail(const IncomingResponse& response, const std::string& url, const std::string& what) const {
  // The caller's header went to the registry as it came, and a read sends nothing else the caller
  // chose (the router checked the path): the registry's 400 is its refusal of those credentials.
  if (response.error == TransportError::kNone && response.status == 400 && !caller_authorization_.empty() &&
      is_registry_url(url))
    throw Error(ErrorKind::kUnauthorized, what + ": registry refused the caller's credentials (400)");
  throw_for_response(response, what);
}

bool OciClient::is_registry_url(const std::string& url) const {
  return origin_of(url) == origin_of(endpoint_.base_url);
}

std::string OciClient::cache_key(const std::string& repository) const {
  // Tokens belong to the exact credentials that obtained them (two services may share a username).
  const OriginCredentials& c = endpoint_.credentials;
  std::string identity = c.username.empty() && endpoint_.identity_token.empty()
                             ? "anonymous"
                             : sha256_hex(c.username + '\0' + c.password + '\0' + endpoint_.identity_token).substr(0, 32);
  return endpoint_.base_url + "\n" + identity + "\n" + repository;
}

std::string OciClient::authorization_for(const std::string& repository) {
  if (!caller_authorization_.empty()) return caller_authorization_;
  if (!endpoint_.credentials.token.empty()) return "Bearer " + endpoint_.credentials.token;
  if (auto cached = auth_.get(cache_key(repository))) return *cached;
  if (auto cached = auth_.get(cache_key("*"))) return *cached;  // registry-wide Basic
  return {};
}

bool OciClient::answer_challenge(const IncomingResponse& response, const std::string& repository,
                                 const std::string& actions) {
  // A caller's own credentials, or a configured token, are final: a 401 is the answer.
  if (!caller_authorization_.empty() || !endpoint_.credentials.token.empty()) return false;
  const OriginCredentials& creds = endpoint_.credentials;
  for (const AuthChallenge& challenge : parse_www_authenticate(response.headers.get("WWW-Authenticate"))) {
    if (challenge.scheme == "basic") {
      if (creds.username.empty()) return false;
      auth_.put(cache_key("*"), basic_authorization(creds.username, creds.password), std::chrono::hours(1));
      return true;
    }
    if (challenge.scheme != "bearer") continue;
    auto realm = challenge.params.find("realm");
    if (realm == challenge.params.end()) continue;
    const bool https_realm = realm->second.starts_with("https://");
    if (!https_realm && !realm->second.starts_with("http://")) continue;
    // Credentials (and the token that comes back) for an https registry never travel in the clear.
    if (endpoint_.base_url.starts_with("https://") && !https_realm)
      throw Error(ErrorKind::kBadResponse,
                          "the registry's token service is a plain http:// URL; credentials for an https registry "
                          "are only sent over https");
    std::string url = realm->second + (realm->second.find('?') == std::string::npos ? "?" : "&");
    if (auto service = challenge.params.find("service"); service != challenge.params.end())
      url += "service=" + percent_encode(service->second) + "&";
    auto scope = challenge.params.find("scope");
    // Several scopes (a cross-repository mount needs two) come space-separated in one challenge
    // parameter and go to the token service as repeated scope parameters, as docker sends them.
    const std::string wanted = endpoint_.push_access ? "pull,push" : actions;
    std::string scopes = scope != challenge.params.end() ? scope->second : "repository:" + repository + ":" + wanted;
    bool first_scope = true;
    for (std::string one : split(scopes, ' ')) {
      if (one.empty()) continue;
      if (one == "repository:" + repository + ":pull") one = "repository:" + repository + ":" + wanted;
      url += std::string(first_scope ? "" : "&") + "scope=" + percent_encode(one);
      first_scope = false;
    }
    OutgoingRequest token_request = make_request("GET", url);
    token_request.max_body = 1u << 20;
    if (!endpoint_.identity_token.empty()) {
      // OAuth2 refresh-token grant, as docker does with an identity token: the same parameters
      // as a form body.
      token_request.method = "POST";
      token_request.url = realm->second;
      token_request.body = url.substr(realm->second.size() + 1) +
                           "&grant_type=refresh_token&client_id=oci-distribution-terraform-registry&refresh_token=" +
                           percent_encode(endpoint_.identity_token);
      token_request.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    } else if (!creds.username.empty()) {
      token_request.headers.push_back("Authorization: " + basic_authorization(creds.username, creds.password));
    }
    // One token request for everyone who needs this token now; the others wait for it.
    bool joined = false;
    std::string bearer = auth_.token_calls().run(
        cache_key(repository) + "\n" + token_request.method + " " + url,
        [&] {
          ++stats_.registry_calls;
          IncomingResponse answer = transport_.fetch(token_request);
          if (answer.error != TransportError::kNone || answer.status != 200) throw_for_response(answer, "token service");
          JsonPtr doc = json_parse(answer.body);
          std::optional<std::string> token = doc ? json_string(doc.get(), "token") : std::nullopt;
          if (!token || token->empty()) token = doc ? json_string(doc.get(), "access_token") : std::nullopt;
          if (!token || token->empty()) throw Error(ErrorKind::kBadResponse, "token service answered without a token");
          std::int64_t expires_in = doc ? json_count(doc.get(), "expires_in").value_or(60) : 60;
          // Renew a little early so a token never expires between our check and the registry's.
          auto lifetime = std::chrono::seconds(std::clamp<std::int64_t>(expires_in * 9 / 10, 1, 86400));
          std::string value = "Bearer " + *token;
          auth_.put(cache_key(repository), value, lifetime);
          return value;
        },
        &joined);
    if (joined) ++stats_.shared;
    (void)bearer;  // the leader put it in the cache, where the retried request finds it
    return true;
  }
  return false;
}

OutgoingRequest OciClient::make_request(const std::string& method, const std::string& url) const {
  OutgoingRequest r;
  r.method = method;
  r.url = url.starts_with("/") ? endpoint_.base_url + url : url;
  r.connect_timeout = endpoint_.settings.connect_timeout;
  r.total_timeout = endpoint_.settings.request_timeout;
  r.max_body = endpoint_.settings.max_manifest_bytes;
  r.ca_file = endpoint_.settings.ca_file;
  return r;
}

IncomingResponse OciClient::fetch(OutgoingRequest request, const std::string& repository,
                                  const std::string& actions) {
  // Credentials go to the registry's own origin only: an upload Location or a redirect may name
  // another host (blob storage), which gets the request without them.
  const bool own_origin = is_registry_url(request.url);
  const std::vector<std::string> base_headers = request.headers;
  for (int attempt = 0;; ++attempt) {
    request.headers = base_headers;
    std::string authorization = own_origin ? authorization_for(repository) : std::string();
    if (!authorization.empty()) request.headers.push_back("Authorization: " + authorization);
    ++stats_.registry_calls;
    IncomingResponse response = transport_.fetch(request);
    if (own_origin && response.error == TransportError::kNone && response.status == 401 && attempt == 0 &&
        !request.body_source && answer_challenge(response, repository, actions))
      continue;
    return response;
  }
}

std::optional<RepositoryPage> OciClient::find_repositories(const std::string& prefix, const std::string& after,
                                                          std::size_t limit) {
  RepositoryPage out;
  // Catalogs are in name order: start past the prefix itself (no repository is named "<prefix>"
  // when the prefix ends in '/') and stop at the first name beyond it.
  std::string last = std::max(after, prefix);
  for (int page = 0; page < kMaxCatalogPages; ++page) {
    std::string url = endpoint_.base_url + "/v2/_catalog?n=" + std::to_string(kCatalogPageSize) +
                      (last.empty() ? "" : "&last=" + percent_encode(last, "-._~/"));
    OutgoingRequest request = make_request("GET", url);
    request.max_body = kMaxCatalogPageBytes;
    IncomingResponse response = fetch(request, "_catalog");
    if (response.error == TransportError::kNone) {
      const int st = response.status;
      if (st == 401 || st == 403 || st == 404) return std::nullopt;
      if ((st == 400 || st == 405 || st == 501) && response.body.find("UNSUPPORTED") != std::string::npos)
        return std::nullopt;
    }
    if (response.error != TransportError::kNone || response.status != 200)
      fail(response, url, "repository catalog");
    JsonPtr doc = json_parse(response.body);
    const cJSON* list = doc ? cJSON_GetObjectItemCaseSensitive(doc.get(), "repositories") : nullptr;
    if (!doc || !cJSON_IsObject(doc.get()) || (list != nullptr && !cJSON_IsArray(list) && !cJSON_IsNull(list)))
      throw Error(ErrorKind::kBadResponse, "repository catalog: not a catalog document");
    std::size_t seen = 0;
    bool beyond = false;
    const cJSON* name = nullptr;
    if (cJSON_IsArray(list)) {
      cJSON_ArrayForEach(name, list) {
        if (!cJSON_IsString(name)) continue;
        std::string n = name->valuestring;
        ++seen;
        if (n <= last) continue;  // a registry that ignores `last`
        last = n;
        if (!n.starts_with(prefix)) {
          if (n > prefix) beyond = true;
          if (beyond) break;
          continue;
        }
        out.names.push_back(n);
        if (out.names.size() == limit) break;
      }
    }
    const bool more = !beyond && (!next_link(response.headers).empty() || seen >= kCatalogPageSize);
    if (!more) return out;
    if (out.names.size() >= limit) {
      out.next = last;
      return out;
    }
  }
  out.next = last;  // the scan's budget is spent: the next page goes on from here
  return out;
}

std::optional<std::vector<std::string>> OciClient::find_tags(const std::string& repository) {
  std::vector<std::string> tags;
  // Registries page tag lists (some by default); ask for large pages and follow Link headers.
  std::string url = endpoint_.base_url + "/v2/" + repository + "/tags/list?n=" + std::to_string(kTagPageSize);
  std::size_t budget = endpoint_.settings.max_tag_list_bytes;  // for all pages together
  for (int page = 0; page < kMaxTagPages && !url.empty(); ++page) {
    OutgoingRequest request = make_request("GET", url);
    request.max_body = budget;
    IncomingResponse response = fetch(request, repository);
    if (page == 0 && response.error == TransportError::kNone && response.status == 404) return std::nullopt;
    if (response.error == TransportError::kTooLarge)
      throw Error(ErrorKind::kBadResponse, "tag list of " + repository + ": more than " +
                                                             std::to_string(endpoint_.settings.max_tag_list_bytes) +
                                                             " bytes of tags");
    if (response.error != TransportError::kNone || response.status != 200)
      fail(response, url, "tag list of " + repository);
    budget -= response.body.size();
    JsonPtr doc = json_parse(response.body);
    if (!doc || !cJSON_IsObject(doc.get()))
      throw Error(ErrorKind::kBadResponse, "tag list of " + repository + ": not a JSON object");
    const cJSON* list = cJSON_GetObjectItemCaseSensitive(doc.get(), "tags");
    if (cJSON_IsArray(list)) {  // null for a repository without tags
      const cJSON* tag = nullptr;
      cJSON_ArrayForEach(tag, list) {
        if (cJSON_IsString(tag)) tags.emplace_back(tag->valuestring);
      }
    }
    std::string next = next_link(response.headers);
    url = next.empty() ? std::string() : resolve_url(url, next);
    if (!url.empty() && origin_of(url) != origin_of(endpoint_.base_url))
      throw Error(ErrorKind::kBadResponse, "tag list of " + repository + ": pagination link leaves the registry");
  }
  return tags;
}

namespace {

FetchedManifest to_manifest(IncomingResponse& response, const std::string& reference, const std::string& what) {
  FetchedManifest m;
  m.digest = "sha256:" + sha256_hex(response.body);
  if (is_valid_digest(reference) && !digest_matches(reference, response.body, m.digest))
    throw Error(ErrorKind::kBadResponse, what + ": content does not match its digest");
  m.media_type = media_type_of(response.headers.get("Content-Type"));
  m.body = std::move(response.body);
  if (m.media_type.empty() || m.media_type == "application/json" || m.media_type == "text/plain") {
    if (JsonPtr doc = json_parse(m.body)) m.media_type = json_string(doc.get(), "mediaType").value_or(m.media_type);
  }
  return m;
}

}  // namespace

std::optional<FetchedManifest> OciClient::find_manifest(const std::string& repository, const std::string& reference,
                                                       std::size_t max_bytes) {
  OutgoingRequest request = make_request("GET", endpoint_.base_url + "/v2/" + repository + "/manifests/" + reference);
  request.max_body = std::min(request.max_body, max_bytes);
  request.headers.push_back(kManifestAccept);
  IncomingResponse response = fetch(request, repository);
  std::string what = "manifest " + repository + ":" + reference;
  if (response.error == TransportError::kNone && response.status == 404) return std::nullopt;
  if (response.error != TransportError::kNone || response.status != 200) fail(response, request.url, what);
  return to_manifest(response, reference, what);
}

std::vector<FetchedManifest> OciClient::get_manifests(const std::string& repository,
                                                      const std::vector<std::string>& digests, std::size_t max_bytes) {
  std::vector<OutgoingRequest> requests;
  std::string authorization = authorization_for(repository);
  for (const std::string& digest : digests) {
    OutgoingRequest r = make_request("GET", endpoint_.base_url + "/v2/" + repository + "/manifests/" + digest);
    r.max_body = std::min(r.max_body, max_bytes);
    r.headers.push_back(kManifestAccept);
    if (!authorization.empty()) r.headers.push_back("Authorization: " + authorization);
    requests.push_back(std::move(r));
  }
  stats_.registry_calls += static_cast<int>(requests.size());
  std::vector<IncomingResponse> responses = transport_.fetch_all(requests);
  std::vector<FetchedManifest> out;
  out.reserve(digests.size());
  for (size_t i = 0; i < digests.size(); ++i) {
    if (responses[i].error == TransportError::kNone && responses[i].status == 401) {
      out.push_back(get_manifest(repository, digests[i], max_bytes));  // answers the challenge, then retries
      continue;
    }
    std::string what = "manifest " + repository + "@" + digests[i];
    if (responses[i].error != TransportError::kNone || responses[i].status != 200) fail(responses[i], requests[i].url, what);
    out.push_back(to_manifest(responses[i], digests[i], what));
  }
  return out;
}

std::string OciClient::blob_url(const std::string& repository, const std::string& digest) const {
  return endpoint_.base_url + "/v2/" + repository + "/blobs/" + digest;
}

std::optional<BlobInfo> OciClient::find_blob(const std::string& repository, const std::string& digest) {
  std::string url = blob_url(repository, digest);
  std::string what = "blob " + repository + "@" + digest;
  for (int hop = 0; hop <= kMaxRedirects; ++hop) {
    // fetch() sends the registry's credentials to the registry only, never to blob storage.
    IncomingResponse response = fetch(make_request("HEAD", url), repository);
    if (response.error == TransportError::kNone && is_redirect(response.status) &&
        !response.headers.get("Location").empty()) {
      url = resolve_url(url, response.headers.get("Location"));
      continue;
    }
    if (response.error == TransportError::kNone && response.status == 404) return std::nullopt;
    if (response.error != TransportError::kNone || response.status != 200) fail(response, url, what);
    BlobInfo info;
    std::string length = response.headers.get("Content-Length");
    if (!length.empty()) info.size = std::strtoll(length.c_str(), nullptr, 10);
    info.content_type = media_type_of(response.headers.get("Content-Type"));
    return info;
  }
  throw Error(ErrorKind::kBadResponse, what + ": too many redirects");
}

void OciClient::stream_blob(const std::string& repository, const std::string& digest,
                            const std::function<bool(const BlobInfo&)>& on_start,
                            const std::function<bool(std::string_view)>& on_data) {
  std::string url = blob_url(repository, digest);
  const std::string what = "blob " + repository + "@" + digest;
  if (!is_valid_digest(digest)) throw Error(ErrorKind::kNotFound, what + ": not a digest");
  bool answered_challenge = false;
  for (int hop = 0; hop <= kMaxRedirects; ++hop) {
    OutgoingRequest request = make_request("GET", url);
    request.total_timeout = Seconds(0);
    request.stall_timeout = endpoint_.settings.download_stall_timeout;
    if (is_registry_url(url)) {
      std::string authorization = authorization_for(repository);
      if (!authorization.empty()) request.headers.push_back("Authorization: " + authorization);
    }
    bool started = false;
    bool receiver_stopped = false;
    VerifiedStream verified(digest, on_data);
    auto headers_cb = [&](int status, const Headers& headers) {
      if (status != 200) return false;
      started = true;
      BlobInfo info;
      std::string length = headers.get("Content-Length");
      if (!length.empty()) info.size = std::strtoll(length.c_str(), nullptr, 10);
      info.content_type = media_type_of(headers.get("Content-Type"));
      if (!on_start(info)) {
        receiver_stopped = true;
        return false;
      }
      return true;
    };
    auto data_cb = [&](std::string_view chunk) {
      if (verified.feed(chunk)) return true;
      receiver_stopped = true;
      return false;
    };
    ++stats_.registry_calls;
    IncomingResponse response = transport_.stream(request, headers_cb, data_cb);
    if (started) {
      if (receiver_stopped) return;
      if (response.error != TransportError::kNone) throw_for_response(response, what + " (download cut)");
      if (!verified.finish()) throw Error(ErrorKind::kBadResponse, what + ": downloaded bytes do not match the digest");
      return;
    }
    if (response.status == 401 && !answered_challenge && is_registry_url(url) &&
        answer_challenge(response, repository)) {
      answered_challenge = true;
      continue;
    }
    if (is_redirect(response.status) && !response.headers.get("Location").empty()) {
      url = resolve_url(url, response.headers.get("Location"));
      continue;
    }
    if (response.error == TransportError::kAborted) response.error = TransportError::kNone;
    fail(response, url, what);
  }
  throw Error(ErrorKind::kBadResponse, what + ": too many redirects");
}

}  // namespace otr
