#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "base/zip_handle.h"
#include "terraform/module_zip.h"

using namespace otr;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / ("otr-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& relative, const std::string& content, bool executable = false) {
    fs::create_directories((path / relative).parent_path());
    std::ofstream(path / relative, std::ios::binary) << content;
    ::chmod((path / relative).c_str(), executable ? 0755 : 0640);
  }
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// name -> (unix mode, content) of every entry, in archive order.
std::vector<std::tuple<std::string, unsigned, std::string>> entries_of(const std::string& zip_path) {
  int code = 0;
  ZipPtr archive(zip_open(zip_path.c_str(), ZIP_RDONLY, &code));
  BOOST_REQUIRE(archive);
  std::vector<std::tuple<std::string, unsigned, std::string>> out;
  for (zip_int64_t i = 0; i < zip_get_num_entries(archive.get(), 0); ++i) {
    auto index = static_cast<zip_uint64_t>(i);
    zip_uint8_t opsys = 0;
    zip_uint32_t attributes = 0;
    zip_file_get_external_attributes(archive.get(), index, 0, &opsys, &attributes);
    zip_stat_t st;
    zip_stat_index(archive.get(), index, 0, &st);
    std::string content(st.size, '\0');
    ZipFilePtr f(zip_fopen_index(archive.get(), index, 0));
    if (st.size > 0) zip_fread(f.get(), content.data(), st.size);
    out.emplace_back(zip_get_name(archive.get(), index, 0), (attributes >> 16) & 0777, content);
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(module_zip)

BOOST_AUTO_TEST_CASE(zips_are_deterministic_sorted_and_skip_local_state) {
  TempDir a("module-a"), b("module-b"), out("module-out");
  // The same tree written in another order, at other times, with other group bits.
  a.write("main.tf", "resource \"x\" \"y\" {}\n");
  a.write("modules/sub/main.tf", "# sub\n");
  a.write("scripts/run.sh", "#!/bin/sh\n", true);
  a.write(".git/HEAD", "ref: refs/heads/main\n");
  a.write(".terraform/modules/modules.json", "{}");
  a.write("modules/sub/.terraform/x", "cache");
  b.write("scripts/run.sh", "#!/bin/sh\n", true);
  b.write("modules/sub/main.tf", "# sub\n");
  b.write("main.tf", "resource \"x\" \"y\" {}\n");
  ::chmod((b.path / "main.tf").c_str(), 0600);
  utimbuf old{1000000, 1000000};
  ::utime((b.path / "main.tf").c_str(), &old);

  std::string zip_a = (out.path / "a.zip").string(), zip_b = (out.path / "b.zip").string();
  BOOST_TEST(zip_module_directory(a.path.string(), zip_a) == 3);
  BOOST_TEST(zip_module_directory(b.path.string(), zip_b) == 3);
  BOOST_TEST(read_file(zip_a) == read_file(zip_b));

  auto entries = entries_of(zip_a);
  std::vector<std::string> names;
  for (auto& e : entries) names.push_back(std::get<0>(e));
  BOOST_TEST(names == (std::vector<std::string>{"main.tf", "modules/", "modules/sub/", "modules/sub/main.tf",
                                                 "scripts/", "scripts/run.sh"}),
             boost::test_tools::per_element());
  BOOST_TEST(std::get<1>(entries[0]) == 0644u);
  BOOST_TEST(std::get<2>(entries[0]) == "resource \"x\" \"y\" {}\n");
  BOOST_TEST(std::get<1>(entries[5]) == 0755u);
  BOOST_TEST(std::get<1>(entries[1]) == 0755u);
}

BOOST_AUTO_TEST_CASE(links_to_files_inside_are_stored_links_outside_refused) {
  TempDir module("module-links"), elsewhere("module-elsewhere"), out("module-links-out");
  module.write("main.tf", "# main\n");
  elsewhere.write("id_rsa", "PRIVATE KEY");
  fs::create_symlink(module.path / "main.tf", module.path / "alias.tf");
  std::string zip = (out.path / "m.zip").string();
  BOOST_TEST(zip_module_directory(module.path.string(), zip) == 2);
  BOOST_TEST(std::get<2>(entries_of(zip)[0]) == "# main\n");  // alias.tf, stored as the file
  fs::create_symlink(elsewhere.path / "id_rsa", module.path / "key.tf");
  try {
    zip_module_directory(module.path.string(), zip);
    BOOST_FAIL("a link out of the module directory was followed");
  } catch (const InputError& e) {
    BOOST_TEST(std::string(e.what()).find("key.tf\" is a symbolic link to") != std::string::npos, e.what());
    BOOST_TEST(std::string(e.what()).find("outside the module directory") != std::string::npos);
  }
  fs::remove(module.path / "key.tf");
  fs::create_symlink("../" + elsewhere.path.filename().string() + "/id_rsa", module.path / "relative.tf");
  BOOST_CHECK_THROW(zip_module_directory(module.path.string(), zip), InputError);
}

BOOST_AUTO_TEST_CASE(not_a_directory) {
  BOOST_CHECK_THROW(zip_module_directory("/nonexistent/module", "/tmp/x.zip"), InputError);
}

BOOST_AUTO_TEST_SUITE_END()
