// Terraform's package hashes. The expected h1: values were produced by the reference implementation,
// golang.org/x/mod/sumdb/dirhash.HashZip(file, dirhash.Hash1) (x/mod v0.35.0); for
// provider-single.zip Terraform v1.11.4 (`terraform providers lock -fs-mirror=...`) wrote the same
// value into its lock file. The fixtures in data/ were made with Python's zipfile.
#include <boost/test/unit_test.hpp>

#include "base/base64.h"
#include "base/sha256.h"
#include "terraform/package_hash.h"

using namespace otr;

namespace {

bool fails_mentioning(const std::function<void()>& f, const std::string& words) {
  try {
    f();
  } catch (const PackageError& e) {
    return std::string(e.what()).find(words) != std::string::npos;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(package_hash)

BOOST_AUTO_TEST_CASE(h1_matches_terraform_for_a_provider_package) {
  BOOST_TEST(package_h1("data/provider-single.zip") == "h1:wm2lteYScRNFWdDwDEbtgkZHsqn7FW6yhj/wx4MTfSQ=");
}

BOOST_AUTO_TEST_CASE(h1_matches_dirhash_with_directories_sorting_and_compression) {
  // Entries out of order, "a.b" before "a/b" (byte order), a directory entry, an empty file,
  // stored and deflated entries, a non-ASCII name and a 1 MiB entry.
  BOOST_TEST(package_h1("data/mixed.zip") == "h1:7sA64OEaBQc7oa/2ISJbKa9og0l82to81JneQ2PZkqE=");
}

BOOST_AUTO_TEST_CASE(h1_of_an_empty_archive_is_the_hash_of_nothing) {
  std::string expected = "h1:" + base64_encode(Sha256().raw_digest());
  BOOST_TEST(package_h1("data/empty.zip") == expected);
  BOOST_TEST(expected == "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

BOOST_AUTO_TEST_CASE(h1_refuses_what_terraform_refuses) {
  BOOST_TEST(fails_mentioning([] { package_h1("data/not-a-zip.zip"); }, "not a valid zip"));
  BOOST_TEST(fails_mentioning([] { package_h1("data/bad-crc.zip"); }, "corrupt"));
  BOOST_TEST(fails_mentioning([] { package_h1("data/newline-name.zip"); }, "newline"));
  BOOST_TEST(fails_mentioning([] { package_h1("data/no-such-file.zip"); }, "no-such-file.zip"));
}

BOOST_AUTO_TEST_CASE(file_sha256_streams_the_file) {
  FileDigest d = file_sha256("data/empty.zip");
  BOOST_TEST(d.size == 22);
  BOOST_TEST(d.digest == "sha256:" + sha256_hex(std::string("PK\x05\x06", 4) + std::string(18, '\0')));
  BOOST_TEST(fails_mentioning([] { file_sha256("data/missing"); }, "No such file"));
}

BOOST_AUTO_TEST_CASE(base64_round_trips) {
  BOOST_TEST(base64_encode("") == "");
  BOOST_TEST(base64_encode("f") == "Zg==");
  BOOST_TEST(base64_encode("fo") == "Zm8=");
  BOOST_TEST(base64_encode("foo") == "Zm9v");
  BOOST_TEST(base64_encode("user:p@ss") == "dXNlcjpwQHNz");
  BOOST_TEST(*base64_decode("dXNlcjpwQHNz") == "user:p@ss");
  BOOST_TEST(*base64_decode("Zm8=") == "fo");
  BOOST_TEST(*base64_decode("Zm8") == "fo");
  BOOST_TEST(!base64_decode("Zm9v!"));
  BOOST_TEST(!base64_decode("Z"));
}

BOOST_AUTO_TEST_SUITE_END()
