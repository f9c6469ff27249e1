// `push hashes ADDRESS VERSION`: adds Terraform's h1: hashes to a provider release published without
// them (by hand with oras, as OpenTofu's documentation describes, or by another tool), so that
// mirrors and registries serve h1: for every platform (see README "push hashes").
//
// For each platform manifest the release's index names (OpenTofu's layout) that carries no valid
// kH1Annotation, the zip is streamed to a temporary file (its digest checked, never held in
// memory) and hashed (package_h1); a new platform manifest, the old one with kH1Annotation set on
// the manifest and on its archive/zip layer and everything else kept (blobs, config, artifactType,
// other annotations), is written by digest. Then a new index, the old one with those descriptors'
// digest and size replaced and everything else kept (other descriptors, platforms, annotations), is
// written to the tag, last, right after the tag is read again: when it names another manifest than
// it did at the start, nothing is tagged (PublishConflict). A release whose every platform already
// carries h1: is left alone. Blobs are never written: the zips stay what they were.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "oci/manifests.h"
#include "oci/push.h"
#include "publish/push_report.h"
#include "terraform/naming.h"

namespace otr {

enum class HashesOutcome { kUnchanged, kAdded };

// Throws Error(kNotFound) when the version is not published, Error(kBadResponse) for a tag that
// names something else than an OpenTofu provider release (with a word on the Go tool's legacy
// layout, which has no platform manifests to annotate), PublishConflict when the tag moved while
// this ran, PackageError for a zip that is not one, and the target's errors.
HashesOutcome add_provider_hashes(ArtifactTarget& target, const std::string& repository,
                                  const ProviderAddress& address, const std::string& version,
                                  PushReporter& reporter);

// The documents, rewritten (pure; keys keep their order, members this code does not know are kept):
// `manifest` with kH1Annotation = `h1` on the manifest and on its one archive/zip layer (replacing a
// value there). Throws Error(kBadResponse) unless it is an image manifest with exactly one
// archive/zip layer.
std::string manifest_with_h1(std::string_view manifest, const std::string& h1);
// `index` with every descriptor whose digest is a key of `replaced` given that descriptor's media
// type, digest and size. Throws Error(kBadResponse) unless it is an image index.
std::string index_with_replaced(std::string_view index, const std::map<std::string, Descriptor>& replaced);

}  // namespace otr
