#include "terraform/module_zip.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "base/error.h"
#include "base/zip_handle.h"
#include "terraform/package_hash.h"

namespace fs = std::filesystem;

namespace otr {

namespace {

constexpr zip_uint16_t kDosTime = 0;                     // 00:00:00
constexpr zip_uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01

struct Entry {
  std::string name;  // relative, '/'-separated; directories end in '/'
  fs::path path;
  bool directory = false;
  bool executable = false;
};

bool skipped_directory(const fs::path& name) { return name == ".git" || name == ".terraform"; }

// Whether `path` (resolved) lies inside `root` (resolved).
bool inside(const fs::path& root, const fs::path& path) {
  auto [end, _] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return end == root.end();
}

std::vector<Entry> collect(const fs::path& given_root) {
  std::vector<Entry> entries;
  std::error_code ec;
  const fs::path root = fs::canonical(given_root, ec);
  if (ec) throw InputError(given_root.string() + ": " + ec.message());
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  if (ec) throw InputError(root.string() + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw InputError(root.string() + ": " + ec.message());
    const fs::directory_entry& e = *it;
    std::string relative = e.path().lexically_relative(root).generic_string();
    if (e.is_symlink(ec) && e.is_directory(ec)) continue;  // not followed
    if (e.is_directory(ec)) {
      if (skipped_directory(e.path().filename())) {
        it.disable_recursion_pending();
        continue;
      }
      entries.push_back({relative + "/", e.path(), true, true});
      continue;
    }
    if (!e.is_regular_file(ec)) continue;  // sockets, fifos, dangling links
    if (e.is_symlink(ec)) {
      fs::path target = fs::canonical(e.path(), ec);
      if (ec || !inside(root, target))
        throw InputError("\"" + (given_root / relative).string() + "\" is a symbolic link to " +
                         (ec ? std::string("a file that cannot be resolved") : "\"" + target.string() + "\"") +
                         ", outside the module directory; copy the file in or remove the link");
    }
    struct stat st {};
    bool executable = ::stat(e.path().c_str(), &st) == 0 && (st.st_mode & 0111) != 0;
    entries.push_back({relative, e.path(), false, executable});  // a link inside is stored as its file
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
  return entries;
}

}  // namespace

int zip_module_directory(const std::string& directory, const std::string& zip_path) {
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) throw InputError("\"" + directory + "\" is not a directory or a .zip file");
  std::vector<Entry> entries = collect(fs::path(directory));

  int code = 0;
  ZipPtr archive(zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code));
  if (!archive) throw PackageError(zip_path + ": cannot create the zip (libzip error " + std::to_string(code) + ")");
  auto fail = [&](const std::string& what) -> PackageError {
    return PackageError(zip_path + ": " + what + " (" + zip_strerror(archive.get()) + ")");
  };
  int files = 0;
  for (const Entry& e : entries) {
    zip_int64_t index;
    if (e.directory) {
      index = zip_dir_add(archive.get(), e.name.substr(0, e.name.size() - 1).c_str(), ZIP_FL_ENC_GUESS);
      if (index < 0) throw fail("cannot add directory " + e.name);
    } else {
      ZipSourcePtr source(zip_source_file(archive.get(), e.path.c_str(), 0, -1));
      if (!source) throw fail("cannot read " + e.path.string());
      index = zip_file_add(archive.get(), e.name.c_str(), source.get(), ZIP_FL_ENC_GUESS);
      if (index < 0) throw fail("cannot add " + e.name);
      source.release();  // the archive owns it now
      if (zip_set_file_compression(archive.get(), static_cast<zip_uint64_t>(index), ZIP_CM_DEFLATE, 9) != 0)
        throw fail("cannot compress " + e.name);
      ++files;
    }
    auto i = static_cast<zip_uint64_t>(index);
    zip_uint32_t mode = e.directory ? (040000 | 0755) : (0100000 | (e.executable ? 0755 : 0644));
    if (zip_file_set_dostime(archive.get(), i, kDosTime, kDosDate, 0) != 0 ||
        zip_file_set_external_attributes(archive.get(), i, 0, ZIP_OPSYS_UNIX, mode << 16) != 0)
      throw fail("cannot set the attributes of " + e.name);
  }
  if (zip_close(archive.get()) != 0) throw fail("cannot write the zip");
  archive.release();  // closed
  return files;
}

std::optional<ZipText> zip_read_entry(std::string_view zip, const std::string& name, std::size_t limit,
                                      const ZipBounds& bounds) {
  ZipReader reader = ZipReader::open_memory(zip, "the zip", bounds);
  const ZipReader::Entry* entry = reader.find(name, true);
  if (entry == nullptr) return std::nullopt;
  ZipText out;
  reader.read(*entry, [&](std::string_view data) {
    out.text.append(data.substr(0, limit + 1 - out.text.size()));
    return out.text.size() <= limit;
  });
  out.truncated = out.text.size() > limit;
  if (out.truncated) out.text.resize(limit);
  return out;
}

}  // namespace otr
