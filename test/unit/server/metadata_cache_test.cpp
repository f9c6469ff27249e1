#include <boost/test/unit_test.hpp>

#include "server/metadata_cache.h"
#include "testing/fake_clock.h"

using namespace otr;

BOOST_AUTO_TEST_SUITE(metadata_cache)

namespace {
otr::testing::FakeClock clock;
}  // namespace

BOOST_AUTO_TEST_CASE(stores_and_returns_each_kind) {
  MetadataCache cache(std::chrono::seconds(30), 1 << 20, clock);
  BOOST_TEST(!cache.tags("k"));
  cache.put_tags("k", {"1.0.0", "latest"});
  auto tags = cache.tags("k");
  BOOST_TEST_REQUIRE(tags != nullptr);
  BOOST_TEST(tags->size() == 2u);
  cache.put_tag_digest("k:1.0.0", "sha256:abc");
  BOOST_TEST(cache.tag_digest("k:1.0.0").value_or("") == "sha256:abc");
  cache.put_manifest("k@sha256:abc", "{}");
  BOOST_TEST(*cache.manifest("k@sha256:abc") == "{}");
  // Same key, different kind: no collision.
  BOOST_TEST(!cache.manifest("k"));
}

BOOST_AUTO_TEST_CASE(zero_ttl_keeps_no_tags_but_keeps_manifests) {
  MetadataCache cache(std::chrono::seconds(0), 1 << 20, clock);
  cache.put_tags("k", {"1.0.0"});
  cache.put_tag_digest("k:1", "sha256:abc");
  cache.put_manifest("m", "body");
  BOOST_TEST(!cache.tags("k"));
  BOOST_TEST(!cache.tag_digest("k:1"));
  BOOST_TEST(cache.manifest("m") != nullptr);
}

BOOST_AUTO_TEST_CASE(evicts_least_recently_used_within_budget) {
  MetadataCache cache(std::chrono::seconds(30), 8 * 1024, clock);
  std::string body(1500, 'x');
  cache.put_manifest("a", body);
  cache.put_manifest("b", body);
  cache.put_manifest("c", body);
  BOOST_TEST(cache.manifest("a") != nullptr);  // a is now the most recently used
  for (int i = 0; i < 3; ++i) cache.put_manifest("n" + std::to_string(i), body);
  BOOST_TEST(cache.bytes_used() <= 8u * 1024);
  BOOST_TEST(cache.manifest("a") != nullptr);
  BOOST_TEST(!cache.manifest("b"));
}

BOOST_AUTO_TEST_CASE(refuses_entries_larger_than_a_quarter_of_the_budget) {
  MetadataCache cache(std::chrono::seconds(30), 8 * 1024, clock);
  cache.put_manifest("small", "x");
  cache.put_manifest("huge", std::string(4096, 'x'));
  BOOST_TEST(!cache.manifest("huge"));
  BOOST_TEST(cache.manifest("small") != nullptr);
}

BOOST_AUTO_TEST_CASE(identity_never_contains_the_credential) {
  BOOST_TEST(identity_key("") == "-");
  std::string a = identity_key("Bearer secret-token");
  BOOST_TEST(a.find("secret") == std::string::npos);
  BOOST_TEST(a != identity_key("Bearer other-token"));
  BOOST_TEST(a == identity_key("Bearer secret-token"));
}

BOOST_AUTO_TEST_SUITE_END()
