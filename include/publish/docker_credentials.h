// Registry credentials from the user's docker configuration, read the way docker, oras and OpenTofu
// read it: $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
//
//  - credHelpers["host"] names a helper for that registry, else credsStore one for all: the program
//    docker-credential-<name> is run with "get", the registry host on stdin, and answers
//    {"ServerURL":..,"Username":..,"Secret":..} (Username "<token>": Secret is an identity token);
//  - otherwise (or when the helper knows nothing) auths["host"]: "auth" (base64 "user:password"),
//    or "username"/"password", "identitytoken", "registrytoken".
// Keys of auths may be written "host", "https://host", "http://host/v1/": they are compared by host.
// Secrets are never logged or put in error messages.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "base/error.h"

namespace otr {

class CredentialError : public Error {
 public:
  explicit CredentialError(const std::string& message) : Error(ErrorKind::kCredentials, message) {}
};

struct DockerCredential {
  std::string username;
  std::string password;
  std::string identity_token;  // an OAuth2 refresh token for the registry's token service
  std::string registry_token;  // a bearer token sent as is
  bool empty() const {
    return username.empty() && password.empty() && identity_token.empty() && registry_token.empty();
  }
};

struct DockerConfigEntry {
  std::optional<DockerCredential> credential;  // from auths, when present and not empty
  std::string helper;                          // the helper to ask first ("" = none)
};

// What config.json text says about `host` ("registry.example.com", "127.0.0.1:5000").
// Throws CredentialError for text that is not a JSON object or an "auth" that is not base64 "user:password".
DockerConfigEntry lookup_docker_config(std::string_view json_text, const std::string& host);

// "registry.example.com:5000" from "https://registry.example.com:5000/v1/" (or a bare host).
std::string docker_config_host(std::string_view key);

// A helper's answer to "get". Throws CredentialError when it is not the expected JSON.
DockerCredential parse_helper_output(std::string_view json_text);

// Runs docker-credential-<helper> get (searched in PATH). nullopt when the helper has no
// credentials for `host`. Throws CredentialError when it cannot be run, times out or fails otherwise.
std::optional<DockerCredential> run_credential_helper(const std::string& helper, const std::string& host,
                                                      std::chrono::seconds timeout = std::chrono::seconds(30));

// The path of the docker configuration file that would be read ("" when HOME is unknown).
std::string docker_config_path();

// Whether the docker configuration names credentials or a helper for `host`, without running
// any helper (false when the file is missing or unreadable).
bool docker_credentials_configured(const std::string& host);

// Everything together: the file (if it exists), then its helper; nullopt when nothing is configured
// for `host`.
std::optional<DockerCredential> docker_credentials_for(const std::string& host);

}  // namespace otr
