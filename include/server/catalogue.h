// The browsable catalogue of a service: read-only HTML pages for people (README "Catalogue").
//
//   GET <svc>/                                   what the service is, how to configure a client,
//                                                and the providers or modules stored (the origin's
//                                                catalog, kCataloguePage names a page: ?after=<repository>)
//   GET <svc>/_catalog/<host>/<ns>/<type>/       provider_mirror: one provider
//   GET <svc>/_catalog/<ns>/<type>/              provider_registry: one provider
//   GET <svc>/_catalog/<ns>/<name>/<system>/     module_registry: one module
//                                                (versions newest first, ?page=N)
//
// "_catalog" cannot be a hostname, namespace or the protocols' own paths ('_' never starts a name),
// so the pages never collide with them. Every name on a page is escaped (names come from the
// registry); links are made absolute with Request::mount. The pages go through the service's
// ReleaseReader (the worker's MetadataCache) and are answered like the JSON documents: ETag,
// Cache-Control max-age = tags_cache_ttl (private with credentials), 304 on If-None-Match. The work
// of one page is bounded: one catalog page, at most kCatalogueVersions provider releases or
// kCatalogueModuleVersions module versions (each README read once per digest, cached).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "http/message.h"
#include "server/release_reader.h"
#include "terraform/naming.h"

namespace otr {

inline constexpr const char* kCatalogueSegment = "_catalog";
inline constexpr std::size_t kCataloguePage = 100;
inline constexpr std::size_t kCatalogueVersions = 10;
inline constexpr std::size_t kCatalogueModuleVersions = 5;

struct CatalogueScope {
  const Request& request;
  const ServiceConfig& config;
  const RepositoryNaming& naming;
  ReleaseReader& reader;
  std::chrono::seconds max_age;  // the server's tags_cache_ttl
};

// The service's front page.
Response catalogue_index(const CatalogueScope& scope);

// One provider's or module's page; `segments` are the path's after "_catalog" (with the trailing
// slash). A 404 page when they name nothing stored.
Response catalogue_entry(const CatalogueScope& scope, const std::vector<std::string>& segments);

}  // namespace otr
