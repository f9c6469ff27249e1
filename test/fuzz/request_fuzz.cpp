// Feeds the request path from the web server to the router: fastcgi/cgi_params request_from_cgi
// (the input's lines are the FastCGI parameters, "NAME=value"), http/request_path
// split_request_path on the path it gives, and RegistryApp's routing of the request to a
// provider_mirror, a module_registry, /healthz or discovery, over an origin registry that answers
// 404 to everything. Whatever the client and the web server send, the answer is never a 5xx.
#include "base/log.h"
#include "config/config.h"
#include "fastcgi/cgi_params.h"
#include "fuzz.h"
#include "http/request_path.h"
#include "server/application.h"

using namespace otr;

namespace {

// An origin registry that has nothing.
class EmptyRegistry : public HttpTransport {
 public:
  IncomingResponse fetch(const OutgoingRequest&) override {
    IncomingResponse r;
    r.status = 404;
    r.headers.set("Content-Type", "application/json");
    r.body = "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"repository name not known to registry\"}]}";
    return r;
  }
  std::vector<IncomingResponse> fetch_all(const std::vector<OutgoingRequest>& requests) override {
    return std::vector<IncomingResponse>(requests.size(), fetch(OutgoingRequest{}));
  }
  IncomingResponse stream(const OutgoingRequest& request, const HeadersCallback& on_headers,
                          const DataCallback& on_data) override {
    IncomingResponse r = fetch(request);
    if (on_headers(r.status, r.headers)) on_data(r.body);
    r.body.clear();
    return r;
  }
};

const Config& config() {
  static const Config c = parse_config(
      "provider_mirror \"mirror\" {\n  origin_url = \"http://127.0.0.1:9\"\n  proxy_packages = true\n"
      "  name_prefix = \"terraform-providers\"\n}\n"
      "module_registry \"modules\" {\n  origin_url = \"http://127.0.0.1:9\"\n  name_prefix = \"terraform-modules\"\n}\n"
      "server {\n  query_string_secret = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"\n}\n",
      "/nonexistent/fuzz.hcl");
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static EmptyRegistry origin;
  static RegistryApp app(config(), system_clock(), origin);
  static const std::vector<std::string> names = app.top_level_names();
  const std::vector<std::string_view> params = fuzz::split(fuzz::text(data, size), '\n');
  const Request request = request_from_cgi(params, names);
  // http/message.h: a usable request's path starts with '/' (issue 18, finding 12).
  FUZZ_CHECK(!request.bad_request.empty() || request.path.starts_with("/"));
  const RequestPath path = split_request_path(request.path);
  FUZZ_CHECK(path.status == 200 || path.status == 400 || path.status == 404);
  FUZZ_CHECK((path.status == 200) == path.problem.empty());
  for (const std::string& segment : path.segments) FUZZ_CHECK(!segment.empty() && segment != "." && segment != "..");
  BufferSink sink;
  app.handle(request, sink);
  FUZZ_CHECK(sink.started());
  FUZZ_CHECK(sink.status >= 200 && sink.status < 500);
  return 0;
}
