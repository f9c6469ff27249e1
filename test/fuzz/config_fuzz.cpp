// Feeds config/config parse_config (and with it the HCL parser, config/hcl): the input is a
// configuration file's text, "/nonexistent/fuzz.hcl" its name (relative *_file paths lead nowhere).
// Only ConfigError may come out.
#include "config/config.h"
#include "fuzz.h"

using namespace otr;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    Config config = parse_config(std::string(fuzz::text(data, size)), "/nonexistent/fuzz.hcl");
    for (const ServiceConfig* service : config.services()) FUZZ_CHECK(config.find_service(service->name) == service);
  } catch (const ConfigError&) {
  }
  return 0;
}
