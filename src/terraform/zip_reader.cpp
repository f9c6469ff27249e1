#include "terraform/zip_reader.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "base/strings.h"

namespace otr {

namespace {

constexpr std::size_t kChunk = 64 * 1024;
// A local file header: 30 fixed bytes, then the name (and an extra field, not counted here).
constexpr std::uint64_t kLocalHeaderBytes = 30;

std::string zip_open_error(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string message = zip_error_strerror(&error);
  zip_error_fini(&error);
  return message;
}

std::string megabytes(std::uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

}  // namespace

ZipReader ZipReader::open_file(const std::string& path, const ZipBounds& bounds) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw PackageError(path + ": cannot read the file (" + std::strerror(errno) + ")");
  int code = 0;
  ZipPtr archive(zip_open(path.c_str(), ZIP_RDONLY, &code));
  if (!archive) {
    if (code == ZIP_ER_OPEN || code == ZIP_ER_NOENT || code == ZIP_ER_READ)
      throw PackageError(path + ": cannot read the file (" + zip_open_error(code) + ")");
    throw PackageError(path + ": not a valid zip archive (" + zip_open_error(code) + ")");
  }
  return ZipReader(std::move(archive), path, static_cast<std::uint64_t>(st.st_size), bounds);
}

ZipReader ZipReader::open_memory(std::string_view data, const std::string& label, const ZipBounds& bounds) {
  zip_error_t error;
  zip_error_init(&error);
  ZipSourcePtr source(zip_source_buffer_create(data.data(), data.size(), 0, &error));
  if (!source) {
    zip_error_fini(&error);
    throw PackageError(label + ": cannot read a zip held in memory");
  }
  ZipPtr archive(zip_open_from_source(source.get(), ZIP_RDONLY, &error));
  zip_error_fini(&error);
  if (!archive) throw PackageError(label + ": not a valid zip archive");
  source.release();  // the archive owns it now
  return ZipReader(std::move(archive), label, data.size(), bounds);
}

ZipReader::ZipReader(ZipPtr archive, std::string label, std::uint64_t archive_size, const ZipBounds& bounds)
    : archive_(std::move(archive)), label_(std::move(label)), bounds_(bounds) {
  zip_int64_t count = zip_get_num_entries(archive_.get(), 0);
  if (count < 0) throw PackageError(label_ + ": cannot list the zip's entries");
  if (static_cast<std::uint64_t>(count) > bounds_.max_entries)
    throw PackageError(label_ + ": the zip lists " + std::to_string(count) + " entries, more than the " +
                       std::to_string(bounds_.max_entries) + " a package may have");
  std::set<std::string_view> names;
  std::uint64_t occupied = 0;  // bytes the entries need side by side
  std::uint64_t declared = 0;  // their contents, as declared
  entries_.reserve(static_cast<std::size_t>(count));
  for (zip_int64_t i = 0; i < count; ++i) {
    const auto index = static_cast<zip_uint64_t>(i);
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive_.get(), index, ZIP_FL_ENC_RAW, &st) != 0 || (st.valid & ZIP_STAT_NAME) == 0)
      throw PackageError(label_ + ": cannot read entry " + std::to_string(i) + " of the zip's directory");
    Entry entry{st.name, index, (st.valid & ZIP_STAT_SIZE) ? st.size : 0};
    const std::uint64_t compressed = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
    occupied += kLocalHeaderBytes + entry.name.size() + compressed;
    declared += entry.size;
    // Sizes come from the directory: sums of 64-bit values checked as they grow cannot wrap.
    if (compressed > archive_size || occupied > archive_size)
      throw PackageError(label_ + ": the zip's entries overlap (their data adds up to more than the archive's " +
                         std::to_string(archive_size) + " bytes)");
    if (entry.size > bounds_.max_expanded_bytes || declared > bounds_.max_expanded_bytes)
      throw PackageError(label_ + ": the zip expands to more than " + megabytes(bounds_.max_expanded_bytes) +
                         " (max_package_size)");
    entries_.push_back(std::move(entry));
  }
  for (const Entry& e : entries_)
    if (!names.insert(e.name).second)
      throw PackageError(label_ + ": the zip lists the entry \"" + e.name + "\" more than once");
}

const ZipReader::Entry* ZipReader::find(const std::string& name, bool ignore_case) const {
  for (const Entry& e : entries_)
    if (ignore_case ? to_lower(e.name) == to_lower(name) : e.name == name) return &e;
  return nullptr;
}

void ZipReader::read(const Entry& entry, const std::function<bool(std::string_view)>& chunk,
                     const std::atomic<bool>* cancelled) {
  ZipFilePtr file(zip_fopen_index(archive_.get(), entry.index, 0));
  if (!file)
    throw PackageError(label_ + ": cannot open entry \"" + entry.name + "\" (" + zip_strerror(archive_.get()) + ")");
  std::vector<char> buffer(kChunk);
  while (true) {
    if (cancelled != nullptr && cancelled->load()) throw Error(ErrorKind::kUnavailable, "the import was cancelled");
    zip_int64_t n = zip_fread(file.get(), buffer.data(), buffer.size());
    if (n < 0)
      throw PackageError(label_ + ": entry \"" + entry.name + "\" is corrupt (" + zip_file_strerror(file.get()) + ")");
    if (n == 0) return;
    expanded_ += static_cast<std::uint64_t>(n);
    if (expanded_ > bounds_.max_expanded_bytes)
      throw PackageError(label_ + ": the zip expands to more than " + megabytes(bounds_.max_expanded_bytes) +
                         " (max_package_size)");
    if (!chunk(std::string_view(buffer.data(), static_cast<std::size_t>(n)))) return;
  }
}

}  // namespace otr
