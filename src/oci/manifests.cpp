#include "oci/manifests.h"

#include <cstdlib>
#include <ctime>

#include "base/json.h"

namespace otr {

namespace {

JsonPtr descriptor_json(const Descriptor& d) {
  JsonPtr out = json_new_object();
  json_add_string(out.get(), "mediaType", d.media_type);
  json_add_string(out.get(), "digest", d.digest);
  json_add(out.get(), "size", JsonPtr(cJSON_CreateNumber(static_cast<double>(d.size))));
  return out;
}

void add_annotations(cJSON* holder, const Annotations& annotations) {
  JsonPtr object = json_new_object();
  bool any = false;
  for (const auto& [key, value] : annotations) {
    if (value.empty()) continue;
    json_add_string(object.get(), key.c_str(), value);
    any = true;
  }
  if (any) json_add(holder, "annotations", std::move(object));
}

}  // namespace

std::string artifact_manifest(const std::string& artifact_type, const std::vector<Layer>& layers,
                              const Annotations& annotations) {
  JsonPtr doc = json_new_object();
  json_add(doc.get(), "schemaVersion", JsonPtr(cJSON_CreateNumber(2)));
  json_add_string(doc.get(), "mediaType", kManifestMediaType);
  json_add_string(doc.get(), "artifactType", artifact_type);
  json_add(doc.get(), "config", descriptor_json({kEmptyConfigMediaType, kEmptyConfigDigest, 2}));
  JsonPtr list = json_new_array();
  for (const Layer& l : layers) add_annotations(json_append(list.get(), descriptor_json(l.blob)), l.annotations);
  json_add(doc.get(), "layers", std::move(list));
  add_annotations(doc.get(), annotations);
  return json_print(doc.get());
}

std::string zip_artifact_manifest(const std::string& artifact_type, const Descriptor& zip,
                                  const Annotations& layer_annotations, const Annotations& annotations) {
  return artifact_manifest(artifact_type, {{{kZipLayerMediaType, zip.digest, zip.size}, layer_annotations}},
                           annotations);
}

std::string platform_index(const std::string& artifact_type, const std::string& platform_artifact_type,
                           const std::vector<PlatformEntry>& platforms, const Annotations& annotations,
                           const std::vector<ArtifactEntry>& extra) {
  JsonPtr doc = json_new_object();
  json_add(doc.get(), "schemaVersion", JsonPtr(cJSON_CreateNumber(2)));
  json_add_string(doc.get(), "mediaType", kIndexMediaType);
  json_add_string(doc.get(), "artifactType", artifact_type);
  JsonPtr manifests = json_new_array();
  for (const PlatformEntry& p : platforms) {
    JsonPtr d = json_new_object();
    json_add_string(d.get(), "mediaType", p.manifest.media_type);
    json_add_string(d.get(), "artifactType", platform_artifact_type);
    json_add_string(d.get(), "digest", p.manifest.digest);
    json_add(d.get(), "size", JsonPtr(cJSON_CreateNumber(static_cast<double>(p.manifest.size))));
    JsonPtr platform = json_new_object();
    json_add_string(platform.get(), "os", p.os);
    json_add_string(platform.get(), "architecture", p.arch);
    json_add(d.get(), "platform", std::move(platform));
    json_append(manifests.get(), std::move(d));
  }
  for (const ArtifactEntry& e : extra) {
    JsonPtr d = json_new_object();
    json_add_string(d.get(), "mediaType", e.manifest.media_type);
    json_add_string(d.get(), "artifactType", e.artifact_type);
    json_add_string(d.get(), "digest", e.manifest.digest);
    json_add(d.get(), "size", JsonPtr(cJSON_CreateNumber(static_cast<double>(e.manifest.size))));
    json_append(manifests.get(), std::move(d));
  }
  json_add(doc.get(), "manifests", std::move(manifests));
  add_annotations(doc.get(), annotations);
  return json_print(doc.get());
}


}  // namespace otr
