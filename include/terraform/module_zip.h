// Zips a module directory deterministically, so that the same tree always gives the same bytes
// (and a re-push of an unchanged module is a no-op):
//  - entries sorted by path, directories as "dir/" entries, paths relative to the directory;
//  - every time stamp 1980-01-01 00:00:00 (the zip format's epoch), Unix permissions 0755 for
//    directories and executables, 0644 for other files; nothing of owners or the clock;
//  - .git and .terraform directories (at any depth) are left out; so are symbolic links to
//    directories and special files. A symbolic link to a file inside the directory is stored as that
//    file; one to a file outside it is refused (InputError): publishing must never pick up files
//    from elsewhere on the machine.
// The files are streamed into the zip by libzip, never held in memory.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "terraform/zip_reader.h"

namespace otr {

// Writes the zip of `directory` to `zip_path` (replacing it). Returns the number of files stored.
// Throws InputError when `directory` is not a directory, PackageError when writing fails.
int zip_module_directory(const std::string& directory, const std::string& zip_path);

// One file of a zip held in memory (a module package's README.md, for the catalogue).
struct ZipText {
  std::string text;        // at most the limit's bytes
  bool truncated = false;  // the file is longer
};
// The file `name` at the zip's top level (matched case-insensitively), at most `limit` bytes;
// nullopt when the zip has no such file. A zip libzip cannot read, or one that breaks `bounds`
// (terraform/zip_reader.h), is PackageError.
std::optional<ZipText> zip_read_entry(std::string_view zip, const std::string& name, std::size_t limit,
                                      const ZipBounds& bounds = {});

}  // namespace otr
