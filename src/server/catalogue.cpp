#include "server/catalogue.h"

#include <algorithm>

#include "base/names.h"
#include "base/strings.h"
#include "http/responses.h"
#include "terraform/release.h"
#include "terraform/versions.h"

namespace otr {

namespace {

constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd}"
    "h3{font-size:1.05rem;margin-top:1.5rem}"
    "pre{background:#f5f5f5;border:1px solid #ddd;padding:.6rem;overflow-x:auto}"
    "code{font-family:ui-monospace,monospace}table{border-collapse:collapse;margin:.5rem 0}"
    "th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}"
    "td.hashes{font-family:ui-monospace,monospace;font-size:.85rem}"
    ".note{color:#555}nav a{margin-right:1rem}";

std::string esc(const std::string& text) { return html_escape(text); }

const char* kind_title(ServiceKind kind) {
  switch (kind) {
    case ServiceKind::kProviderMirror: return "Terraform / OpenTofu provider mirror";
    case ServiceKind::kProviderRegistry: return "Terraform / OpenTofu provider registry";
    case ServiceKind::kModuleRegistry: return "Terraform / OpenTofu module registry";
  }
  return "";
}

// The service's own path, below the mount: "/tf/mirror/".
std::string service_path(const CatalogueScope& s) { return s.request.mount + "/" + percent_encode(s.config.name) + "/"; }

// The URL people configure: "https://host/tf/mirror/".
std::string service_url(const CatalogueScope& s) {
  return (s.request.scheme.empty() ? "https" : s.request.scheme) + "://" +
         (s.request.host.empty() ? "HOST" : s.request.host) + service_path(s);
}

// The hostname people write in source addresses (the server's own, without a port's default).
std::string client_host(const CatalogueScope& s) { return s.request.host.empty() ? "HOST" : to_lower(s.request.host); }

std::string page(const CatalogueScope& s, const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
         esc(title) + "</title><style>" + kStyle + "</style></head>\n<body>\n<nav><a href=\"" +
         esc(service_path(s)) + "\">" + esc(s.config.name) + "</a></nav>\n" + body + "</body>\n</html>\n";
}

Response answer(const CatalogueScope& s, std::string body, int status = 200) {
  return html_document(s.request, std::move(body), s.max_age, status);
}

// The path segments of an entry's page, after "_catalog/".
std::vector<std::string> entry_segments(const CatalogueScope& s, const std::string& repository,
                                        std::string* label) {
  if (s.config.kind == ServiceKind::kModuleRegistry) {
    auto m = s.naming.module_of(repository);
    if (!m) return {};
    *label = m->to_string();
    return {m->ns, m->name, m->system};
  }
  auto p = s.naming.provider_of(repository);
  if (!p) return {};
  if (s.config.kind == ServiceKind::kProviderMirror) {
    *label = p->to_string();
    return {p->hostname, p->ns, p->type};
  }
  *label = p->ns + "/" + p->type;
  return {p->ns, p->type};
}

std::string entry_path(const CatalogueScope& s, const std::vector<std::string>& segments) {
  std::string path = service_path(s) + kCatalogueSegment + "/";
  for (const std::string& seg : segments) path += percent_encode(seg, "-._~:") + "/";
  return path;
}

std::string client_configuration(const CatalogueScope& s, const std::string& include) {
  const std::string url = esc(service_url(s));
  if (s.config.kind == ServiceKind::kProviderMirror) {
    std::string filter = include.empty() ? "" : "    include = [\"" + esc(include) + "\"]\n";
    std::string direct = include.empty() ? "" : "  direct {\n    exclude = [\"" + esc(include) + "\"]\n  }\n";
    return "<p>The CLI configuration (<code>~/.terraformrc</code> or <code>~/.tofurc</code>):</p>\n"
           "<pre class=\"cli-config\">provider_installation {\n  network_mirror {\n    url = \"" + url + "\"\n" +
           filter + "  }\n" + direct + "}</pre>\n<p class=\"note\">Terraform requires the mirror URL to use "
           "<code>https:</code>.</p>\n";
  }
  const char* service = s.config.kind == ServiceKind::kModuleRegistry ? "modules.v1" : "providers.v1";
  return "<p>Clients find this service through <code>" + esc("https://" + client_host(s) + "/.well-known/terraform.json") +
         "</code>. Where that is not served, name it in the CLI configuration "
         "(<code>~/.terraformrc</code> or <code>~/.tofurc</code>):</p>\n<pre class=\"cli-config\">host \"" +
         esc(client_host(s)) + "\" {\n  services = {\n    \"" + service + "\" = \"" + url + "\"\n  }\n}</pre>\n";
}

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : separator) + p;
  return out;
}

std::string page_param(const Request& request, const char* name) { return query_param(request.query, name); }

}  // namespace

Response catalogue_index(const CatalogueScope& s) {
  std::string body = "<h1>" + esc(kind_title(s.config.kind)) + ": " + esc(s.config.name) + "</h1>\n";
  if (s.config.kind == ServiceKind::kProviderMirror)
    body += "<p>This is a <a href=\"https://developer.hashicorp.com/terraform/internals/provider-network-mirror-protocol\">"
            "provider network mirror</a> served from an OCI registry. Point Terraform or OpenTofu at it:</p>\n";
  else
    body += "<p>Served from an OCI registry.</p>\n";
  body += client_configuration(s, "");

  std::string after = page_param(s.request, "after");
  if (after.find('%') != std::string::npos || after.find('&') != std::string::npos) after.clear();
  body += std::string("<h2>") + (s.config.kind == ServiceKind::kModuleRegistry ? "Modules" : "Providers") + "</h2>\n";
  std::optional<RepositoryPage> repos = s.reader.repositories(s.naming.catalog_prefix(), after, kCataloguePage);
  if (!repos) {
    std::string shape = s.config.kind == ServiceKind::kModuleRegistry   ? "NAMESPACE/NAME/SYSTEM/"
                        : s.config.kind == ServiceKind::kProviderMirror ? "HOSTNAME/NAMESPACE/TYPE/"
                                                                         : "NAMESPACE/TYPE/";
    body += "<p class=\"no-catalog\">The registry does not let this service list its repositories (it has no catalog "
            "API, or keeps it to administrators), so nothing can be listed here. Each page still works: <code>" +
            esc(service_path(s) + kCatalogueSegment + "/" + shape) + "</code>.</p>\n";
    return answer(s, page(s, s.config.name, body));
  }
  std::string items;
  for (const std::string& repository : repos->names) {
    std::string label;
    std::vector<std::string> segments = entry_segments(s, repository, &label);
    if (segments.empty()) continue;  // a repository of another naming under the same prefix
    items += "<li><a href=\"" + esc(entry_path(s, segments)) + "\">" + esc(label) + "</a></li>\n";
  }
  if (items.empty())
    body += "<p class=\"empty\">Nothing is stored here" + std::string(after.empty() ? "" : " past this point") + ".</p>\n";
  else
    body += "<ul class=\"catalogue\">\n" + items + "</ul>\n";
  if (!repos->next.empty())
    body += "<p><a rel=\"next\" href=\"" + esc(service_path(s) + "?after=" + percent_encode(repos->next, "-._~/")) +
            "\">More</a></p>\n";
  return answer(s, page(s, s.config.name, body));
}

namespace {

std::string source_line(const std::string& source) {
  if (source.empty()) return "";
  bool link = source.starts_with("https://") || source.starts_with("http://");
  return "<li>Source: " + (link ? "<a class=\"source\" href=\"" + esc(source) + "\">" + esc(source) + "</a>"
                                 : "<span class=\"source\">" + esc(source) + "</span>") +
         "</li>";
}

std::string pager(const CatalogueScope& s, const std::vector<std::string>& segments, std::size_t page_no,
                  bool more) {
  std::string out;
  if (page_no > 0)
    out += "<a rel=\"prev\" href=\"" + esc(entry_path(s, segments) + "?page=" + std::to_string(page_no - 1)) +
           "\">Newer versions</a> ";
  if (more)
    out += "<a rel=\"next\" href=\"" + esc(entry_path(s, segments) + "?page=" + std::to_string(page_no + 1)) +
           "\">Older versions</a>";
  return out.empty() ? "" : "<p class=\"pager\">" + out + "</p>\n";
}

Response not_found(const CatalogueScope& s, const std::string& what) {
  return answer(s, page(s, s.config.name, "<h1>Not found</h1>\n<p>" + esc(what) + "</p>\n"), 404);
}

}  // namespace

Response catalogue_entry(const CatalogueScope& s, const std::vector<std::string>& segments) {
  const bool module = s.config.kind == ServiceKind::kModuleRegistry;
  const bool mirror = s.config.kind == ServiceKind::kProviderMirror;
  std::string repository, label, source_address, local_name;
  if (module) {
    auto m = segments.size() == 3 ? module_address(segments[0], segments[1], segments[2]) : std::nullopt;
    if (!m) return not_found(s, "Not a module address: expected NAMESPACE/NAME/SYSTEM/.");
    repository = s.naming.module(*m);
    label = m->to_string();
    source_address = client_host(s) + "/" + m->to_string();
    local_name = m->name;
  } else {
    std::optional<ProviderAddress> p;
    if (mirror && segments.size() == 3) p = provider_address(to_lower(segments[0]), segments[1], segments[2]);
    if (!mirror && segments.size() == 2) {
      const std::string& host = static_cast<const ProviderRegistryConfig&>(s.config).hostname;
      p = provider_address(host.empty() ? kDefaultProviderHost : host, segments[0], segments[1]);
    }
    if (!p) return not_found(s, mirror ? "Not a provider address: expected HOSTNAME/NAMESPACE/TYPE/."
                                       : "Not a provider address: expected NAMESPACE/TYPE/.");
    repository = s.naming.provider(*p);
    label = mirror ? p->to_string() : p->ns + "/" + p->type;
    source_address = mirror ? p->to_string() : client_host(s) + "/" + p->ns + "/" + p->type;
    local_name = p->type;
  }
  const std::vector<std::string> canonical = split(label, '/');

  std::optional<std::vector<Version>> versions = s.reader.versions(repository);
  if (!versions || versions->empty())
    return not_found(s, (module ? "No module " : "No provider ") + label + " is stored here.");
  std::vector<Version> newest_first(versions->rbegin(), versions->rend());
  const std::size_t per_page = module ? kCatalogueModuleVersions : kCatalogueVersions;
  std::size_t page_no = 0;
  if (std::string p = page_param(s.request, "page"); !p.empty() && p.size() < 6 &&
                                                      std::all_of(p.begin(), p.end(), ::isdigit))
    page_no = std::stoul(p);
  const std::size_t first = std::min(page_no * per_page, newest_first.size());
  const std::size_t last = std::min(first + per_page, newest_first.size());
  const std::string newest = newest_first.front().to_string();

  std::string body = "<h1>" + esc(label) + "</h1>\n<p>" + std::to_string(newest_first.size()) + " version" +
                     (newest_first.size() == 1 ? "" : "s") + "; the newest is <strong class=\"newest\">" + esc(newest) +
                     "</strong>.</p>\n<h2>Use it</h2>\n";
  if (module) {
    body += "<pre class=\"usage\">module \"" + esc(local_name) + "\" {\n  source  = \"" + esc(source_address) +
            "\"\n  version = \"" + esc(newest) + "\"\n}</pre>\n";
  } else {
    body += "<pre class=\"usage\">terraform {\n  required_providers {\n    " + esc(local_name) + " = {\n      source  = \"" +
            esc(source_address) + "\"\n      version = \"" + esc(newest) + "\"\n    }\n  }\n}</pre>\n";
  }
  body += client_configuration(s, mirror ? source_address : "");
  body += "<h2>Versions</h2>\n" + pager(s, canonical, page_no, last < newest_first.size());

  for (std::size_t i = first; i < last; ++i) {
    const Version& v = newest_first[i];
    const std::string vs = v.to_string();
    body += "<section class=\"version\" id=\"v" + esc(vs) + "\">\n<h3>" + esc(vs) + "</h3>\n";
    if (module) {
      std::string digest;
      std::shared_ptr<const std::string> manifest = s.reader.tagged_manifest(repository, version_to_tag(v), &digest);
      if (!manifest) {
        body += "<p class=\"note\">This version's tag is gone.</p>\n</section>\n";
        continue;
      }
      std::string zip = parse_module_manifest(*manifest);
      std::string created = manifest_annotation(*manifest, kCreatedAnnotation);
      std::string source = manifest_annotation(*manifest, kSourceAnnotation);
      body += "<ul>";
      if (!created.empty()) body += "<li>Published: <time class=\"created\">" + esc(created) + "</time></li>";
      body += source_line(source) + "<li>Package: <code class=\"digest\">" + esc(zip) + "</code></li></ul>\n";
      ReleaseReader::Readme readme = s.reader.module_readme(repository, zip);
      switch (readme.state) {
        case ReleaseReader::Readme::State::kShown:
          body += "<details open><summary>README.md</summary><pre class=\"readme\">" + esc(readme.text) +
                  (readme.truncated ? "\n…" : "") + "</pre></details>\n";
          break;
        case ReleaseReader::Readme::State::kTooLarge:
          body += "<p class=\"note\">The package is too large to show its README here.</p>\n";
          break;
        case ReleaseReader::Readme::State::kUnreadable:
          body += "<p class=\"note\">The package is not a readable zip.</p>\n";
          break;
        case ReleaseReader::Readme::State::kNone:
          body += "<p class=\"note\">No README.md in this package.</p>\n";
          break;
      }
    } else {
      std::optional<Release> release = s.reader.release(repository, v);
      if (!release) {
        body += "<p class=\"note\">This version's tag is gone.</p>\n</section>\n";
        continue;
      }
      body += "<ul>";
      if (!release->created.empty())
        body += "<li>Published: <time class=\"created\">" + esc(release->created) + "</time></li>";
      body += source_line(release->source);
      if (!release->protocols.empty()) body += "<li>Protocols: " + esc(join(release->protocols, ", ")) + "</li>";
      body += "</ul>\n<table class=\"platforms\">\n<tr><th>Platform</th><th>Size</th><th>Hashes</th></tr>\n";
      for (const PlatformPackage& p : release->packages) {
        body += "<tr><td class=\"platform\">" + esc(p.os + "_" + p.arch) + "</td><td>" +
                (p.size >= 0 ? std::to_string(p.size) + " bytes" : std::string("?")) + "</td><td class=\"hashes\">";
        if (!p.h1.empty()) body += "<div>" + esc(p.h1) + "</div>";
        if (std::string hex = sha256_hex_of(p.digest); !hex.empty()) body += "<div>" + esc("zh:" + hex) + "</div>";
        body += "</td></tr>\n";
      }
      body += "</table>\n";
    }
    body += "</section>\n";
  }
  body += pager(s, canonical, page_no, last < newest_first.size());
  return answer(s, page(s, label + " - " + s.config.name, body));
}

}  // namespace otr
