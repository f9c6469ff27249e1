// Feeds publish/docker_credentials lookup_docker_config, docker_config_host and
// parse_helper_output: the input is a docker config.json (looked up for three hosts) and, as well,
// a credential helper's answer. Only CredentialError may come out.
#include "fuzz.h"
#include "publish/docker_credentials.h"

using namespace otr;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json = fuzz::text(data, size);
  for (const char* host : {"registry.example.com", "127.0.0.1:5000", "[::1]:5000"}) {
    try {
      (void)lookup_docker_config(json, host);
    } catch (const CredentialError&) {
    }
  }
  (void)docker_config_host(json);
  try {
    (void)parse_helper_output(json);
  } catch (const CredentialError&) {
  }
  return 0;
}
