#include "upstream/release_import.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>

#include "base/error.h"
#include "base/file_io.h"
#include "base/names.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "openpgp/gnupg.h"
#include "terraform/package_hash.h"
#include "terraform/package_names.h"
#include "terraform/release.h"

namespace otr {

namespace {

std::string joined(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string without_query(const std::string& url) { return url.substr(0, url.find_first_of("?#")); }

void stop_if_cancelled(const std::atomic<bool>* cancelled) {
  if (cancelled != nullptr && cancelled->load()) throw Error(ErrorKind::kUnavailable, "the import was cancelled");
}

// Puts one blob, reporting its upload to `observer`.
void put_reported(ArtifactTarget& target, const std::string& repository, const BlobUpload& blob,
                  const std::string& label, ImportObserver& observer) {
  bool started = false;
  ProgressCallback progress = [&](std::int64_t sent) {
    if (!started) observer.transfer_started("upload " + label, blob.size);
    started = true;
    observer.transfer_progress(sent);
  };
  try {
    target.put_blob(repository, blob, progress);
  } catch (...) {
    if (started) observer.transfer_finished();
    throw;
  }
  if (started) observer.transfer_finished();
}

// Runs `write` once more when it fails with anything but a refusal (a registry that stumbles over a
// concurrent writer of the same blob or manifest answers 400 or 500 for a moment).
template <class Write>
void retried_once(ImportObserver& observer, const std::string& what, const Write& write) {
  try {
    write();
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kUpstream || e.kind() == ErrorKind::kUnauthorized ||
        e.kind() == ErrorKind::kUnavailable)
      throw;
    observer.line("  " + what + " failed (" + e.what() + "); trying once more");
    write();
  }
}

// One package downloaded into a temporary file, checked against its shasum, hashed.
struct DownloadedPackage {
  std::unique_ptr<TempFile> file;
  VerifiedPackage verified;
};

DownloadedPackage download_package(ProviderSource& source, const UpstreamPackage& p, const std::string& what,
                                   ImportObserver& observer, const std::atomic<bool>* cancelled) {
  DownloadedPackage out;
  out.file = std::make_unique<TempFile>(".zip");
  UniqueFd fd(::open(out.file->path().c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (fd.get() < 0) throw Error(ErrorKind::kUnreachable, "cannot write the temporary file " + out.file->path());
  Sha256 hash;
  std::int64_t size = 0;
  bool started = false;
  try {
    source.download(
        p.download_url, what,
        [&](std::int64_t total) {
          observer.transfer_started("download " + p.os + "_" + p.arch, total);
          started = true;
        },
        [&](std::string_view chunk) {
          stop_if_cancelled(cancelled);
          hash.update(chunk);
          if (!write_all(fd.get(), chunk))
            throw Error(ErrorKind::kUnreachable, "cannot write the temporary file " + out.file->path());
          size += static_cast<std::int64_t>(chunk.size());
          observer.transfer_progress(size);
        });
  } catch (...) {
    if (started) observer.transfer_finished();
    throw;
  }
  if (started) observer.transfer_finished();
  const std::string hex = hash.hex_digest();
  if (hex != p.shasum)
    throw UpstreamError(what + " does not match its checksum: SHA256SUMS and the download document say " +
                        p.shasum + ", the file has " + hex);
  out.verified = {p.os, p.arch, p.filename, "sha256:" + hex, size, "", out.file->path()};
  ZipBounds bounds;
  bounds.max_expanded_bytes = source.config().max_package_bytes;
  try {
    out.verified.h1 = package_h1(out.file->path(), bounds, cancelled);
  } catch (const PackageError& e) {
    // Its messages start with the temporary file's path: of no use to the client, named nowhere else.
    std::string why = e.what();
    if (why.starts_with(out.file->path() + ": ")) why.erase(0, out.file->path().size() + 2);
    throw UpstreamError(what + " is not a usable zip: " + why);
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> platforms_to_import(const UpstreamRelease& release,
                                                                     const std::vector<std::string>& wanted) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& platform : release.platforms) {
    const std::string name = platform.first + "_" + platform.second;
    if (wanted.empty() || std::find(wanted.begin(), wanted.end(), name) != wanted.end()) out.push_back(platform);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void check_shasums_lines(std::string_view shasums, const std::vector<UpstreamPackage>& packages) {
  std::map<std::string, std::string> lines;  // file name -> hex
  for (std::string_view rest = shasums; !rest.empty();) {
    size_t end = rest.find('\n');
    std::string line(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    size_t space = line.find(' ');
    if (space != 64) throw UpstreamError("the upstream's SHA256SUMS has a line that is not \"<sha256>  <file>\"");
    const size_t name_at = line.find_first_not_of(" *", space);
    if (name_at == std::string::npos)
      throw UpstreamError("the upstream's SHA256SUMS has a line that is not \"<sha256>  <file>\"");
    std::string name = line.substr(name_at);
    lines[name] = to_lower(line.substr(0, 64));
  }
  for (const UpstreamPackage& p : packages) {
    auto it = lines.find(p.filename);
    if (it == lines.end())
      throw UpstreamError("the upstream's SHA256SUMS has no line for " + p.filename);
    if (it->second != p.shasum)
      throw UpstreamError("the upstream's SHA256SUMS says " + it->second + " for " + p.filename +
                          ", its download document says " + p.shasum);
  }
}

ReleaseDocuments release_documents(const std::string& type, const Version& version,
                                   const std::vector<VerifiedPackage>& packages, const SignedChecksums& checksums,
                                   const std::vector<std::string>& protocols) {
  const std::string v = version.to_string();
  ReleaseDocuments out;
  std::vector<PlatformEntry> entries;
  for (const VerifiedPackage& p : packages) {
    Annotations layer = {{kTitleAnnotation, p.filename}, {kH1Annotation, p.h1}};
    Annotations manifest = {{kH1Annotation, p.h1}, {kTitleAnnotation, p.filename}, {kVersionAnnotation, v}};
    std::string body = zip_artifact_manifest(kProviderTargetArtifactType, {kZipLayerMediaType, p.digest, p.size},
                                             layer, manifest);
    Descriptor d{kManifestMediaType, "sha256:" + sha256_hex(body), static_cast<std::int64_t>(body.size())};
    entries.push_back({p.os, p.arch, d});
    out.platforms.push_back({d, std::move(body)});
  }
  const std::string base = "terraform-provider-" + type + "_" + v + "_SHA256SUMS";
  auto blob = [](const char* media_type, const std::string& data) {
    return Descriptor{media_type, "sha256:" + sha256_hex(data), static_cast<std::int64_t>(data.size())};
  };
  std::string sums = artifact_manifest(
      kShasumsArtifactType,
      {{blob(kShasumsMediaType, checksums.shasums), {{kTitleAnnotation, base}}},
       {blob(kShasumsSignatureMediaType, checksums.signature), {{kTitleAnnotation, base + ".sig"}}},
       {blob(kPublicKeyMediaType, checksums.public_key), {{kTitleAnnotation, base + ".key.asc"}}}},
      {{kVersionAnnotation, v}});
  out.checksums.descriptor = {kManifestMediaType, "sha256:" + sha256_hex(sums), static_cast<std::int64_t>(sums.size())};
  out.checksums.body = std::move(sums);
  out.index = platform_index(kProviderArtifactType, kProviderTargetArtifactType, entries,
                             {{kVersionAnnotation, v}, {kProtocolsAnnotation, joined(protocols, ",")}},
                             {{kShasumsArtifactType, out.checksums.descriptor}});
  return out;
}

ImportResult import_provider_release(ProviderSource& source, ArtifactTarget& target, const std::string& repository,
                                     const ProviderAddress& address, const Version& version,
                                     const std::vector<std::string>& platforms, ImportObserver& observer,
                                     const std::atomic<bool>* cancelled, const std::vector<std::string>& known_hashes,
                                     const UpstreamRelease* listed) {
  const std::string tag = version_to_tag(version);
  const std::string what = address.ns + "/" + address.type + " " + version.to_string();
  ImportResult result;
  if (std::optional<FetchedManifest> stored = target.manifest_by_tag(repository, tag)) {
    result.outcome = ImportOutcome::kAlreadyStored;
    result.index_digest = stored->digest;
    return result;
  }

  // 1. The version and its platforms.
  std::optional<std::vector<UpstreamRelease>> releases;
  if (listed == nullptr) {
    releases = source.releases(address.ns, address.type);
    if (!releases) return result;
    auto found = std::find_if(releases->begin(), releases->end(),
                              [&](const UpstreamRelease& r) { return compare_versions(r.version, version) == 0; });
    if (found == releases->end()) return result;
    listed = &*found;
  }
  const UpstreamRelease* release = listed;
  std::vector<std::pair<std::string, std::string>> wanted = platforms_to_import(*release, platforms);
  if (wanted.empty())
    throw UpstreamError("the upstream's " + what + " has none of the platforms asked for (" +
                        joined(platforms, ", ") + ")");

  // 2. A download document per platform, sharing one SHA256SUMS.
  std::vector<UpstreamPackage> documents;
  for (const auto& [os, arch] : wanted) {
    stop_if_cancelled(cancelled);
    std::optional<UpstreamPackage> p = source.package(address.ns, address.type, version, os, arch);
    if (!p)
      throw UpstreamError("the upstream lists " + what + " for " + os + "_" + arch + " but has no download for it");
    const std::string expected = package_file_name(address.type, version.to_string(), os, arch);
    if (p->filename != expected)
      throw UpstreamError("the upstream names the " + os + "_" + arch + " package of " + what + " \"" + p->filename +
                          "\", not " + expected);
    documents.push_back(std::move(*p));
  }
  observer.line("  " + what + ": " + std::to_string(documents.size()) + " platform" +
                (documents.size() == 1 ? "" : "s") + " upstream");

  // 3. The publisher's signature over SHA256SUMS.
  SignedChecksums checksums;
  checksums.shasums = source.small_file(documents[0].shasums_url, kMaxChecksumsFile, "SHA256SUMS of " + what);
  checksums.signature =
      source.small_file(documents[0].shasums_signature_url, kMaxChecksumsFile, "the SHA256SUMS signature of " + what);
  // Documents naming another SHA256SUMS (not just another query string: sealed or signed URLs
  // differ per document) must name the same bytes; one signature covers them all.
  for (const UpstreamPackage& p : documents) {
    if (without_query(p.shasums_url) == without_query(documents[0].shasums_url)) continue;
    if (source.small_file(p.shasums_url, kMaxChecksumsFile, "SHA256SUMS of " + what) != checksums.shasums)
      throw UpstreamError("the upstream gives " + what + " a different SHA256SUMS for " + p.os + "_" + p.arch +
                          "; one file for the release is expected");
  }
  std::vector<std::string> keys = documents[0].signing_keys;
  SignatureCheck signature = check_detached_signature(checksums.shasums, checksums.signature, keys);
  if (!signature.valid)
    throw UpstreamError("the signature over SHA256SUMS of " + what + " does not verify with the signing keys the "
                        "upstream gives: " + signature.problem);
  checksums.public_key = keys[signature.key_index];
  observer.line("  SHA256SUMS signed by key " + signature.key_id + ": good signature");

  // 4. Every package against SHA256SUMS, then (and the lock file's hashes) stored before the next is
  // downloaded: one package on disk at a time, whatever the number of platforms.
  check_shasums_lines(checksums.shasums, documents);
  const auto known = [&](const std::string& h) {
    return std::find(known_hashes.begin(), known_hashes.end(), h) != known_hashes.end();
  };
  // zh: hashes come from a signed SHA256SUMS and cover every platform: then each package must be
  // among them. A lock file with h1: only (made through a mirror) vouches for its platforms alone:
  // then at least one package must match, and the others stand on the signature.
  const bool covers_all = std::any_of(known_hashes.begin(), known_hashes.end(),
                                      [](const std::string& h) { return h.starts_with("zh:"); });
  bool any_known = false;
  std::vector<VerifiedPackage> packages;
  for (const UpstreamPackage& p : documents) {
    stop_if_cancelled(cancelled);
    DownloadedPackage d =
        download_package(source, p, "the " + p.os + "_" + p.arch + " package of " + what, observer, cancelled);
    result.bytes += d.verified.size;
    if (!known_hashes.empty()) {
      const std::string zh = "zh:" + sha256_hex_of(d.verified.digest);
      const bool matches = known(zh) || known(d.verified.h1);
      any_known = any_known || matches;
      if (!matches && covers_all)
        throw UpstreamError("the " + d.verified.os + "_" + d.verified.arch + " package of " + what +
                            " matches none of the hashes the lock file recorded (" + zh + ", " + d.verified.h1 + ")");
    }
    stop_if_cancelled(cancelled);
    retried_once(observer, "storing the " + p.os + "_" + p.arch + " package of " + what, [&] {
      put_reported(target, repository, BlobUpload{d.verified.digest, d.verified.size, d.verified.path, ""},
                   p.os + "_" + p.arch, observer);
    });
    d.verified.path.clear();  // the file goes with `d`
    packages.push_back(d.verified);
  }
  if (!known_hashes.empty() && !any_known)
    throw UpstreamError("no package of " + what + " matches the hashes the lock file recorded (" +
                        joined(known_hashes, ", ") + ")");
  stop_if_cancelled(cancelled);

  // 5. Written, tag last.
  std::vector<std::string> protocols = release->protocols.empty() ? documents[0].protocols : release->protocols;
  ReleaseDocuments docs = release_documents(address.type, version, packages, checksums, protocols);
  result.index_digest = "sha256:" + sha256_hex(docs.index);
  result.platforms = wanted;
  // Another process (a worker, a host sharing the registry) may be importing the same release right
  // now: what it finished is not written again, and its tag is as good as ours (the same bytes when
  // it imports the same platforms).
  const auto tagged_meanwhile = [&]() -> bool {
    std::optional<FetchedManifest> now = target.manifest_by_tag(repository, tag);
    if (!now) return false;
    result.outcome = now->digest == result.index_digest ? ImportOutcome::kImported : ImportOutcome::kAlreadyStored;
    result.index_digest = now->digest;
    return true;
  };
  // Writes what is missing, the tag last; true when another importer tagged the release first.
  const auto write = [&]() -> bool {
    put_reported(target, repository, BlobUpload{kEmptyConfigDigest, 2, "", kEmptyConfigData}, "config", observer);
    for (const std::string* data : {&checksums.shasums, &checksums.signature, &checksums.public_key})
      put_reported(target, repository,
                   BlobUpload{"sha256:" + sha256_hex(*data), static_cast<std::int64_t>(data->size()), "", *data},
                   "checksums", observer);
    std::vector<const ReleaseDocuments::Manifest*> manifests;
    for (const ReleaseDocuments::Manifest& m : docs.platforms) manifests.push_back(&m);
    manifests.push_back(&docs.checksums);
    for (const ReleaseDocuments::Manifest* m : manifests)
      if (!target.manifest_by_tag(repository, m->descriptor.digest))
        target.put_manifest(repository, m->descriptor.digest, kManifestMediaType, m->body);
    if (tagged_meanwhile()) return true;
    target.put_manifest(repository, tag, kIndexMediaType, docs.index);
    return false;
  };
  // A registry that stumbles over a concurrent writer of the same manifests (Debian's
  // docker-registry answers 400 or 500 for a moment while it rewrites their links) is given the
  // release once more, unless the other writer has tagged it meanwhile.
  for (int attempt = 1;; ++attempt) {
    try {
      if (write()) return result;
      break;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kUpstream || e.kind() == ErrorKind::kUnauthorized) throw;
      if (tagged_meanwhile()) return result;
      if (attempt == 2) throw;
      observer.line("  writing " + what + " failed (" + e.what() + "); trying once more");
    }
  }
  result.outcome = ImportOutcome::kImported;
  return result;
}

}  // namespace otr
