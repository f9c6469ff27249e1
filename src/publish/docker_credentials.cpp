#include "publish/docker_credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include "base/base64.h"
#include "base/error.h"
#include "base/file_io.h"
#include "base/json.h"
#include "base/spawn.h"
#include "base/strings.h"
#include "base/unique_fd.h"

extern char** environ;

namespace otr {

namespace {



// A spawned child that is killed and reaped if it is still running when we leave.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // The exit status (-1 when killed by a signal).
  int wait() {
    int status = wait_program(pid_);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_;
};

// SIGPIPE blocked for this thread while it lives; one raised meanwhile is consumed, not delivered.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    blocked_ = pthread_sigmask(SIG_BLOCK, &pipe_, &previous_) == 0;
  }
  ~SigpipeBlocked() {
    if (!blocked_) return;
    sigset_t pending;
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1 && sigismember(&previous_, SIGPIPE) == 0) {
      timespec zero{0, 0};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t pipe_;
  sigset_t previous_;
  bool blocked_ = false;
};

bool is_helper_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

std::string docker_config_host(std::string_view key) {
  std::string_view k = key;
  if (size_t scheme = k.find("://"); scheme != std::string_view::npos) k.remove_prefix(scheme + 3);
  k = k.substr(0, k.find('/'));
  return to_lower(std::string(k));
}

DockerConfigEntry lookup_docker_config(std::string_view json_text, const std::string& host) {
  JsonPtr doc = json_parse(json_text);
  if (!doc || !cJSON_IsObject(doc.get())) throw CredentialError("the docker configuration is not a JSON object");
  const std::string want = to_lower(host);
  DockerConfigEntry entry;
  if (const cJSON* helpers = json_object(doc.get(), "credHelpers")) {
    const cJSON* item = nullptr;
    cJSON_ArrayForEach(item, helpers) {
      if (cJSON_IsString(item) && item->string != nullptr && docker_config_host(item->string) == want)
        entry.helper = item->valuestring;
    }
  }
  if (entry.helper.empty()) entry.helper = json_string(doc.get(), "credsStore").value_or("");
  if (const cJSON* auths = json_object(doc.get(), "auths")) {
    const cJSON* item = nullptr;
    cJSON_ArrayForEach(item, auths) {
      if (!cJSON_IsObject(item) || item->string == nullptr || docker_config_host(item->string) != want) continue;
      DockerCredential c;
      if (auto auth = json_string(item, "auth"); auth && !auth->empty()) {
        auto decoded = base64_decode(*auth);
        size_t colon = decoded ? decoded->find(':') : std::string::npos;
        if (colon == std::string::npos)
          throw CredentialError("the docker configuration's \"auth\" for " + host +
                                " is not base64 of \"user:password\"");
        c.username = decoded->substr(0, colon);
        c.password = decoded->substr(colon + 1);
      } else {
        c.username = json_string(item, "username").value_or("");
        c.password = json_string(item, "password").value_or("");
      }
      c.identity_token = json_string(item, "identitytoken").value_or("");
      c.registry_token = json_string(item, "registrytoken").value_or("");
      if (!c.empty()) entry.credential = std::move(c);
    }
  }
  return entry;
}

DockerCredential parse_helper_output(std::string_view json_text) {
  JsonPtr doc = json_parse(json_text);
  if (!doc || !cJSON_IsObject(doc.get()))
    throw CredentialError("the credential helper did not answer with a JSON object");
  DockerCredential c;
  std::string username = json_string(doc.get(), "Username").value_or("");
  std::string secret = json_string(doc.get(), "Secret").value_or("");
  if (username == "<token>") {
    c.identity_token = secret;
  } else {
    c.username = username;
    c.password = secret;
  }
  return c;
}

std::optional<DockerCredential> run_credential_helper(const std::string& helper, const std::string& host,
                                                      std::chrono::seconds timeout) {
  if (!is_helper_name(helper)) throw CredentialError("\"" + helper + "\" is not a credential helper name");
  const std::string program = "docker-credential-" + helper;
  int in_pipe[2];
  int out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) throw CredentialError(program + ": " + std::strerror(errno));
  UniqueFd in_read(in_pipe[0]), in_write(in_pipe[1]);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw CredentialError(program + ": " + std::strerror(errno));
  UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);
  UniqueFd null_fd(::open("/dev/null", O_WRONLY | O_CLOEXEC));

  pid_t pid = -1;
  try {
    // The helper gets its environment (minus the secrets we took out of it, config/secret_env.h)
    // and nothing else of ours: no descriptor beyond its three, SIGPIPE at its default.
    pid = spawn_program({program, "get"}, environ, in_read.get(), out_write.get(), null_fd.get());
  } catch (const std::system_error& e) {
    throw CredentialError("the docker configuration names the credential helper \"" + helper + "\", but " + program +
                          " cannot be run (" + std::strerror(e.code().value()) + ")");
  }
  Child child(pid);
  in_read.reset();
  out_write.reset();

  // The request is a host name: small enough for the pipe, so it is written whole before reading.
  // A helper that exits without reading it makes the write fail (EPIPE), which is no error here:
  // its answer says what it knows. SIGPIPE is blocked meanwhile (the caller may not ignore it).
  {
    SigpipeBlocked blocked;
    (void)write_all(in_write.get(), host);
  }
  in_write.reset();

  std::string output;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw CredentialError(program + " did not answer within " + std::to_string(timeout.count()) + " s");
    pollfd p{out_read.get(), POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw CredentialError(program + ": " + std::strerror(errno));
    if (ready == 0) continue;
    ssize_t n = read_retrying(out_read.get(), buffer, sizeof buffer);
    if (n < 0) throw CredentialError(program + ": " + std::strerror(errno));
    if (n == 0) break;
    output.append(buffer, static_cast<size_t>(n));
    if (output.size() > (1u << 20)) throw CredentialError(program + " answered with too much output");
  }
  int status = child.wait();
  if (status != 0) {
    // docker's helpers say "credentials not found in native keychain" when they know nothing.
    if (to_lower(output).find("not found") != std::string::npos) return std::nullopt;
    throw CredentialError(program + " get failed (exit status " + std::to_string(status) + ")");
  }
  DockerCredential c = parse_helper_output(output);
  if (c.empty()) return std::nullopt;
  return c;
}

std::string docker_config_path() {
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir != nullptr && *dir != '\0')
    return std::string(dir) + "/config.json";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return std::string(home) + "/.docker/config.json";
  return {};
}

namespace {

constexpr std::size_t kMaxDockerConfig = 4u << 20;

// The docker configuration's text; nullopt when there is none (no HOME, no file).
std::optional<std::string> docker_config_text(const std::string& path) {
  if (path.empty()) return std::nullopt;
  try {
    return read_file_limited(path, kMaxDockerConfig, "the docker configuration");
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kNotFound) return std::nullopt;
    throw CredentialError(e.what());
  }
}

}  // namespace

bool docker_credentials_configured(const std::string& host) {
  try {
    std::optional<std::string> text = docker_config_text(docker_config_path());
    if (!text) return false;
    DockerConfigEntry entry = lookup_docker_config(*text, host);
    return entry.credential.has_value() || !entry.helper.empty();
  } catch (const CredentialError&) {
    return false;
  }
}

std::optional<DockerCredential> docker_credentials_for(const std::string& host) {
  const std::string path = docker_config_path();
  std::optional<std::string> text = docker_config_text(path);
  if (!text) return std::nullopt;
  DockerConfigEntry entry;
  try {
    entry = lookup_docker_config(*text, host);
  } catch (const CredentialError& e) {
    throw CredentialError(path + ": " + e.what());
  }
  if (!entry.helper.empty()) {
    if (auto c = run_credential_helper(entry.helper, host)) return c;
  }
  return entry.credential;
}

}  // namespace otr
