// The ceiling of any FastCGI application on this machine: a libfcgi responder that answers every
// request with a fixed small JSON body and does nothing else. Same threading shape as our workers
// (N threads blocked in FCGX_Accept_r on one socket).
//
//   null_responder unix:/path/sock THREADS
#include <fcgiapp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3 || std::strncmp(argv[1], "unix:", 5) != 0) {
    std::fprintf(stderr, "usage: %s unix:/path/to/socket THREADS\n", argv[0]);
    return 64;
  }
  std::string path = argv[1] + 5;
  int threads = std::atoi(argv[2]);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  unlink(path.c_str());
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 511) != 0) {
    std::perror("listen");
    return 1;
  }
  chmod(path.c_str(), 0666);
  FCGX_Init();
  std::signal(SIGPIPE, SIG_IGN);
  static const std::string kBody = "{\"versions\":{\"1.0.0\":{},\"1.1.0\":{}}}\n";
  static const std::string kResponse = "Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                                       std::to_string(kBody.size()) + "\r\n\r\n" + kBody;
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([fd] {
      FCGX_Request request;
      FCGX_InitRequest(&request, fd, 0);
      while (FCGX_Accept_r(&request) == 0) {
        FCGX_PutStr(kResponse.data(), static_cast<int>(kResponse.size()), request.out);
        FCGX_Finish_r(&request);
      }
    });
  }
  for (auto& t : pool) t.join();
  return 0;
}
