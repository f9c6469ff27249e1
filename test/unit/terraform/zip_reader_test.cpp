// The bounds of reading someone else's zip (terraform/zip_reader.h): what a zip's directory promises
// is checked before anything is inflated, and what is inflated is counted.
#include <boost/test/unit_test.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "terraform/module_zip.h"
#include "terraform/package_hash.h"
#include "terraform/zip_reader.h"
#include "testing/errors.h"
#include "testing/raw_zip.h"

namespace otr {
namespace {

using testing::listed_many_times;
using testing::raw_zip;

// A file holding `bytes`, removed at the end of the test.
struct ZipFile {
  explicit ZipFile(const std::string& bytes) {
    path = (std::filesystem::temp_directory_path() /
            ("otr-zip-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".zip"))
               .string();
    std::ofstream(path, std::ios::binary) << bytes;
  }
  ~ZipFile() { std::filesystem::remove(path); }
  static inline int counter = 0;
  std::string path;
};

// The message of the PackageError `f` throws ("no error" when it throws none).
std::string refusal(const std::function<void()>& f) { return testing::message_of<PackageError>(f); }

bool mentions(const std::string& text, const std::string& words) { return text.find(words) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(zip_reader)

BOOST_AUTO_TEST_CASE(a_name_listed_four_thousand_times_over_one_entry_is_refused_before_inflating) {
  // The review's zip: 64 MiB of zeros deflated once (about 64 KB), listed 4,000 times; about 250 GiB
  // of inflating when every listing is read. Refused from the directory alone.
  ZipFile bomb(listed_many_times("terraform-provider-x", 64ull << 20, 4000));
  BOOST_TEST(std::filesystem::file_size(bomb.path) < 1u << 20);
  const std::string why = refusal([&] { package_h1(bomb.path); });
  BOOST_TEST(mentions(why, "overlap"), why);
}

BOOST_AUTO_TEST_CASE(entries_sharing_their_data_under_different_names_are_refused) {
  ZipFile shared(raw_zip({{"a", std::string(1000, 'x')}}, {{"a", 0}, {"b", 0}}));
  const std::string why = refusal([&] { package_h1(shared.path); });
  BOOST_TEST(mentions(why, "overlap"), why);
}

BOOST_AUTO_TEST_CASE(a_name_listed_twice_with_data_of_its_own_is_refused) {
  ZipFile twice(raw_zip({{"main.tf", "one"}, {"main.tf", "two"}}));
  const std::string why = refusal([&] { package_h1(twice.path); });
  BOOST_TEST(mentions(why, "\"main.tf\" more than once"), why);
}

BOOST_AUTO_TEST_CASE(contents_beyond_the_expansion_bound_are_refused) {
  ZipFile zeros(raw_zip({{"big", "", 2u << 20}}));
  ZipBounds bounds;
  bounds.max_expanded_bytes = 1u << 20;
  const std::string why = refusal([&] { package_h1(zeros.path, bounds); });
  BOOST_TEST(mentions(why, "expands to more than 1 MiB"), why);
  // Several entries count together.
  ZipFile two(raw_zip({{"a", "", 600u << 10}, {"b", "", 600u << 10}}));
  BOOST_TEST(mentions(refusal([&] { package_h1(two.path, bounds); }), "expands to more than"));
  // Within the bound, the same entries hash.
  bounds.max_expanded_bytes = 2u << 20;
  BOOST_TEST(package_h1(two.path, bounds).starts_with("h1:"));
}

BOOST_AUTO_TEST_CASE(more_entries_than_the_bound_are_refused) {
  ZipFile three(raw_zip({{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  ZipBounds bounds;
  bounds.max_entries = 2;
  BOOST_TEST(mentions(refusal([&] { package_h1(three.path, bounds); }), "3 entries, more than the 2"));
  bounds.max_entries = 3;
  BOOST_TEST(package_h1(three.path, bounds).starts_with("h1:"));
}

BOOST_AUTO_TEST_CASE(the_default_bounds_are_max_package_size_default_and_65536_entries) {
  ZipBounds bounds;
  BOOST_TEST(bounds.max_expanded_bytes == 2ull << 30);
  BOOST_TEST(bounds.max_entries == 65536u);
}

BOOST_AUTO_TEST_CASE(a_cancelled_read_stops_with_unavailable_not_a_bad_package) {
  ZipFile zeros(raw_zip({{"big", "", 4u << 20}}));
  std::atomic<bool> cancelled{true};
  try {
    package_h1(zeros.path, {}, &cancelled);
    BOOST_FAIL("a cancelled hash finished");
  } catch (const PackageError&) {
    BOOST_FAIL("a cancelled hash was called a bad package");
  } catch (const Error& e) {
    BOOST_TEST((e.kind() == ErrorKind::kUnavailable));
  }
}

BOOST_AUTO_TEST_CASE(cancellation_is_checked_between_reads_of_one_entry) {
  ZipFile zeros(raw_zip({{"big", "", 4u << 20}}));
  ZipReader zip = ZipReader::open_file(zeros.path, {});
  std::atomic<bool> cancelled{false};
  int pieces = 0;
  BOOST_CHECK_THROW(zip.read(zip.entries().at(0),
                             [&](std::string_view) {
                               cancelled = ++pieces == 3;
                               return true;
                             },
                             &cancelled),
                    Error);
  BOOST_TEST(pieces == 3);  // 4 MiB is 64 pieces: the read stopped at the first check after the flag
}

BOOST_AUTO_TEST_CASE(a_modules_readme_is_read_within_the_same_bounds) {
  const std::string bomb = listed_many_times("README.md", 16u << 20, 100);
  BOOST_CHECK_THROW(zip_read_entry(bomb, "README.md", 1000), PackageError);
  const std::string twice = raw_zip({{"README.md", "one"}, {"README.md", "two"}});
  BOOST_CHECK_THROW(zip_read_entry(twice, "readme.md", 1000), PackageError);
  const std::string fine = raw_zip({{"main.tf", "x"}, {"README.md", std::string(3000, 'r')}});
  std::optional<ZipText> readme = zip_read_entry(fine, "readme.md", 1000);
  BOOST_REQUIRE(readme.has_value());
  BOOST_TEST(readme->text == std::string(1000, 'r'));
  BOOST_TEST(readme->truncated);
  BOOST_TEST(!zip_read_entry(fine, "CHANGELOG.md", 1000).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace otr
