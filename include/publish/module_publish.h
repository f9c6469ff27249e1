// Publishing one module package in OpenTofu's module layout (see README "push module"): an image
// manifest with artifactType application/vnd.opentofu.modulepkg, the empty config and one
// archive/zip layer, tagged with the version ('+' written '_'), in repository
// <name_prefix>/<namespace>/<name>/<system> (lower-cased: OCI names are). OpenTofu installs it with
// source = "oci://<registry>/<repository>?tag=<version>".
#pragma once

#include <string>
#include <string_view>

#include "oci/push.h"
#include "publish/provider_publish.h"
#include "publish/push_report.h"
#include "terraform/naming.h"

namespace otr {

// Publishes the zip at `zip_path` as `address` VERSION. `file_name` goes in the layer's
// org.opencontainers.image.title. An identical package already under the tag is a no-op; a
// different one is refused (PublishConflict) unless settings.force.
PublishOutcome publish_module(ArtifactTarget& target, const std::string& repository, const ModuleAddress& address,
                              const std::string& version, const std::string& zip_path, const std::string& file_name,
                              const PublishSettings& settings, PushReporter& reporter);

}  // namespace otr
