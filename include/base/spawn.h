// Starting other programs (gpgconf, docker credential helpers), written once: what they inherit is
// decided here, not by accident.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace otr {

// Starts argv[0] (searched in PATH) with `envp`, with `stdin_fd`, `stdout_fd`, `stderr_fd` as its
// standard descriptors (-1: inherit ours), every other descriptor closed and SIGPIPE at its
// default action. Returns its pid; throws std::system_error when it cannot be started.
pid_t spawn_program(const std::vector<std::string>& argv, char* const* envp, int stdin_fd = -1, int stdout_fd = -1,
                    int stderr_fd = -1);

// Waits for `pid`, retrying on EINTR: its exit status, or -1 when a signal ended it.
int wait_program(pid_t pid);

}  // namespace otr
