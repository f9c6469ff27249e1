// Temporary files: nothing of them outlives their process, however it ends.
#include <boost/test/unit_test.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/file_io.h"

namespace otr {
namespace {

// $TMPDIR pointed at an empty directory of its own for the test's life.
struct TmpDir {
  TmpDir() {
    path = std::filesystem::temp_directory_path() / ("otr-tmpdir-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
    const char* old = std::getenv("TMPDIR");
    if (old != nullptr) previous = old;
    ::setenv("TMPDIR", path.c_str(), 1);
  }
  ~TmpDir() {
    if (previous.empty()) ::unsetenv("TMPDIR");
    else ::setenv("TMPDIR", previous.c_str(), 1);
    std::filesystem::remove_all(path);
  }
  bool empty() const { return std::filesystem::is_empty(path); }
  std::filesystem::path path;
  std::string previous;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(file_io)

BOOST_AUTO_TEST_CASE(a_temporary_file_can_be_written_and_read_back_by_its_path) {
  TmpDir tmp;
  TempFile file(".zip");
  std::ofstream(file.path(), std::ios::binary | std::ios::trunc) << "package bytes";
  std::string back;
  std::getline(std::ifstream(file.path(), std::ios::binary), back);
  BOOST_TEST(back == "package bytes");
  BOOST_TEST(read_file_limited(file.path(), 100, "the file") == "package bytes");
}

BOOST_AUTO_TEST_CASE(a_temporary_file_is_gone_when_its_process_is_killed) {
  // A worker killed at shutdown (or _exit()ed) runs no destructor: the file must not be named anywhere.
  TmpDir tmp;
  int ready[2];
  BOOST_REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    TempFile file(".zip");
    std::ofstream(file.path(), std::ios::binary) << std::string(1 << 16, 'z');
    (void)!::write(ready[1], "x", 1);
    ::pause();  // killed here
    ::_exit(0);
  }
  ::close(ready[1]);
  char byte;
  BOOST_REQUIRE(::read(ready[0], &byte, 1) == 1);  // the child holds its file now
  ::close(ready[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  BOOST_TEST(WIFSIGNALED(status));
  BOOST_TEST(tmp.empty(), "a killed process left a temporary file in " << tmp.path);
}

BOOST_AUTO_TEST_CASE(a_temporary_file_is_gone_when_it_goes_out_of_scope) {
  TmpDir tmp;
  std::string path;
  {
    TempFile file(".zip");
    path = file.path();
    std::ofstream(path) << "x";
  }
  BOOST_TEST(tmp.empty());
  BOOST_TEST(!std::filesystem::exists(path));
}

BOOST_AUTO_TEST_CASE(a_named_temporary_file_can_be_replaced_by_renaming_another_over_it) {
  // What libzip does with the zip it writes (push module DIR): the output is written beside the path.
  TmpDir tmp;
  TempFile file(".zip", TempFile::Kind::kNamed);
  BOOST_TEST(file.path().starts_with(tmp.path.string() + "/oci-distribution-terraform-registry-"));
  const std::string beside = file.path() + ".new";
  std::ofstream(beside) << "written beside";
  BOOST_TEST(std::rename(beside.c_str(), file.path().c_str()) == 0);
  BOOST_TEST(read_file_limited(file.path(), 100, "the file") == "written beside");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace otr
