#include "base/spawn.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace otr {

namespace {

void check(int rc, const char* what) {
  if (rc != 0) throw std::system_error(rc, std::generic_category(), what);
}

class FileActions {
 public:
  FileActions() { check(posix_spawn_file_actions_init(&actions_), "posix_spawn_file_actions_init"); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

class Attributes {
 public:
  Attributes() { check(posix_spawnattr_init(&attributes_), "posix_spawnattr_init"); }
  ~Attributes() { posix_spawnattr_destroy(&attributes_); }
  Attributes(const Attributes&) = delete;
  Attributes& operator=(const Attributes&) = delete;
  posix_spawnattr_t* get() { return &attributes_; }

 private:
  posix_spawnattr_t attributes_;
};

}  // namespace

pid_t spawn_program(const std::vector<std::string>& args, char* const* envp, int stdin_fd, int stdout_fd,
                    int stderr_fd) {
  FileActions actions;
  const int given[3] = {stdin_fd, stdout_fd, stderr_fd};
  for (int target = 0; target < 3; ++target)
    if (given[target] >= 0)
      check(posix_spawn_file_actions_adddup2(actions.get(), given[target], target), "posix_spawn_file_actions_adddup2");
  check(posix_spawn_file_actions_addclosefrom_np(actions.get(), 3), "posix_spawn_file_actions_addclosefrom_np");
  Attributes attributes;
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  check(posix_spawnattr_setsigdefault(attributes.get(), &defaults), "posix_spawnattr_setsigdefault");
  check(posix_spawnattr_setflags(attributes.get(), POSIX_SPAWN_SETSIGDEF), "posix_spawnattr_setflags");
  std::vector<char*> argv;
  std::vector<std::string> copy = args;
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  check(posix_spawnp(&pid, argv[0], actions.get(), attributes.get(), argv.data(), envp), args[0].c_str());
  return pid;
}

int wait_program(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace otr
