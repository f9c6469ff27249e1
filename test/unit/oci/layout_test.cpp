#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "base/sha256.h"
#include "oci/layout_writer.h"

using namespace otr;
namespace fs = std::filesystem;

namespace {

struct Layout {
  fs::path dir = fs::temp_directory_path() / ("otr-layout-" + std::to_string(::getpid()));
  Layout() { fs::remove_all(dir); }
  ~Layout() { fs::remove_all(dir); }
};

ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  BOOST_FAIL("no Error");
  return ErrorKind::kBadResponse;
}

BlobUpload memory_blob(const std::string& data) {
  return BlobUpload{"sha256:" + sha256_hex(data), static_cast<std::int64_t>(data.size()), "", data};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(oci_layout)

BOOST_AUTO_TEST_CASE(written_tags_read_back_per_repository) {
  Layout l;
  const std::string m1 = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"x"})";
  const std::string m2 = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})";
  {
    OciLayoutTarget target(l.dir.string());
    BOOST_TEST((target.put_blob("a/b", memory_blob("hello"), nullptr) == BlobOutcome::kUploaded));
    BOOST_TEST((target.put_blob("c/d", memory_blob("hello"), nullptr) == BlobOutcome::kPresent));  // shared blobs
    target.put_manifest("a/b", "1.0.0", "application/vnd.oci.image.manifest.v1+json", m1);
    target.put_manifest("a/bc", "2.0.0", "application/vnd.oci.image.manifest.v1+json", m2);
    target.put_manifest("a/b", "1.0.0", "application/vnd.oci.image.manifest.v1+json", m2);  // retagged
    BOOST_TEST(target.manifest_by_tag("a/b", "1.0.0")->body == m2);
    BOOST_TEST(!target.manifest_by_tag("a/b", "9.9.9").has_value());
  }
  OciLayoutReader reader(l.dir.string());
  BOOST_TEST(*reader.find_tags("a/b") == std::vector<std::string>{"1.0.0"});  // not a/bc's tags
  BOOST_TEST(*reader.find_tags("a/bc") == std::vector<std::string>{"2.0.0"});
  BOOST_TEST(!reader.find_tags("a"));  // no such repository: a value, not an error
  FetchedManifest m = reader.get_manifest("a/b", "1.0.0", SIZE_MAX);
  BOOST_TEST(m.body == m2);
  BOOST_TEST(m.media_type == "application/vnd.oci.image.manifest.v1+json");
  BOOST_TEST(reader.get_manifest("a/b", "sha256:" + sha256_hex(m1), SIZE_MAX).body == m1);  // untagged, by digest
  BOOST_TEST(reader.find_blob("a/b", "sha256:" + sha256_hex("hello"))->size == 5);
  BOOST_TEST(!reader.find_blob("a/b", "sha256:" + std::string(64, '0')));
  BOOST_TEST(!reader.find_manifest("a/b", "../../etc/passwd", SIZE_MAX));
  BOOST_TEST(!reader.find_manifest("a/b", "9.9.9", SIZE_MAX));
  BOOST_TEST((kind_of([&] { reader.get_manifest("a/b", "9.9.9", SIZE_MAX); }) == ErrorKind::kNotFound));
  // A batch by tag and digest, in order; one that does not exist fails it.
  std::vector<FetchedManifest> batch = reader.get_manifests("a/b", {"sha256:" + sha256_hex(m1), "1.0.0"}, SIZE_MAX);
  BOOST_TEST_REQUIRE(batch.size() == 2u);
  BOOST_TEST(batch[0].body == m1);
  BOOST_TEST(batch[1].body == m2);
  BOOST_TEST((kind_of([&] { reader.get_manifests("a/b", {"1.0.0", "9.9.9"}, SIZE_MAX); }) == ErrorKind::kNotFound));
  BOOST_TEST(reader.blob_url("a/b", "sha256:" + sha256_hex("hello")).empty());
}

BOOST_AUTO_TEST_CASE(a_tampered_blob_never_delivers_its_last_chunk) {
  Layout l;
  std::string data(300 * 1024, 'x');
  BlobUpload blob = memory_blob(data);
  {
    OciLayoutTarget target(l.dir.string());
    target.put_blob("r", blob, nullptr);
  }
  OciLayoutReader reader(l.dir.string());
  std::string got;
  reader.stream_blob("r", blob.digest, [](const BlobInfo& i) { return i.size == 300 * 1024; },
                     [&](std::string_view c) { got.append(c); return true; });
  BOOST_TEST(got == data);
  {
    std::fstream f(reader.blob_path(blob.digest), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.put('y');
  }
  got.clear();
  BOOST_TEST((kind_of([&] {
               reader.stream_blob("r", blob.digest, [](const BlobInfo&) { return true; },
                                  [&](std::string_view c) { got.append(c); return true; });
             }) == ErrorKind::kBadResponse));
  BOOST_TEST(got.size() < data.size());
}

BOOST_AUTO_TEST_CASE(a_missing_index_is_a_broken_origin) {
  OciLayoutReader reader("/nonexistent/layout");
  BOOST_TEST((kind_of([&] { reader.find_tags("a/b"); }) == ErrorKind::kUnreachable));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(oci_layout_digests)

// Content named by a sha512 digest is verified like sha256 content (it once streamed unchecked).
BOOST_AUTO_TEST_CASE(sha512_blobs_and_manifests_are_verified) {
  Layout l;
  fs::create_directories(l.dir / "blobs" / "sha512");
  std::ofstream(l.dir / "oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
  std::ofstream(l.dir / "index.json") << R"({"schemaVersion":2,"manifests":[]})";
  // sha512("hello")
  const std::string good = "sha512:9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c"
                           "7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043";
  std::ofstream(l.dir / "blobs" / "sha512" / good.substr(7)) << "hello";
  const std::string bad = "sha512:" + std::string(128, 'a');
  std::ofstream(l.dir / "blobs" / "sha512" / bad.substr(7)) << "not what the digest says";
  OciLayoutReader reader(l.dir.string());
  std::string streamed;
  reader.stream_blob("a/b", good, [](const BlobInfo&) { return true; },
                     [&](std::string_view chunk) { streamed.append(chunk); return true; });
  BOOST_TEST(streamed == "hello");
  std::string delivered;
  BOOST_TEST((kind_of([&] {
               reader.stream_blob("a/b", bad, [](const BlobInfo&) { return true; },
                                  [&](std::string_view chunk) { delivered.append(chunk); return true; });
             }) == ErrorKind::kBadResponse));
  BOOST_TEST(delivered.size() < std::string("not what the digest says").size());  // never the whole body
  BOOST_TEST((kind_of([&] { reader.get_manifest("a/b", bad, SIZE_MAX); }) == ErrorKind::kBadResponse));
  BOOST_TEST(reader.get_manifest("a/b", good, SIZE_MAX).body == "hello");
}

BOOST_AUTO_TEST_SUITE_END()
