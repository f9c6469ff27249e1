#include <boost/test/unit_test.hpp>

#include "base/error.h"
#include "server/sealed_token.h"

using namespace otr;

namespace {
const std::string kKey(32, 'k');
DownloadGrant sample() {
  return {TokenPurpose::kPackage, "mirror", "terraform-providers/registry.terraform.io/hashicorp/null", "sha256:" + std::string(64, 'a'),
          2000000000, "Bearer secret-token"};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(sealed_token)

BOOST_AUTO_TEST_CASE(round_trip) {
  TokenSealer sealer(kKey);
  std::string token = sealer.seal(sample());
  BOOST_TEST(token.find("secret") == std::string::npos);
  BOOST_TEST(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
  auto opened = sealer.open(token, TokenPurpose::kPackage, 1000);
  BOOST_TEST_REQUIRE(opened.grant.has_value());
  BOOST_TEST(opened.grant->service == "mirror");
  BOOST_TEST(opened.grant->repository == sample().repository);
  BOOST_TEST(opened.grant->digest == sample().digest);
  BOOST_TEST(opened.grant->expires_at == 2000000000);
  BOOST_TEST(opened.grant->authorization == "Bearer secret-token");
  // Binary-safe and empty fields.
  DownloadGrant odd{TokenPurpose::kPackage, "", std::string("a\0b", 3), "", 5, std::string(5000, 'x')};
  auto back = sealer.open(sealer.seal(odd), TokenPurpose::kPackage, 1);
  BOOST_TEST_REQUIRE(back.grant.has_value());
  BOOST_TEST(back.grant->repository == odd.repository);
  BOOST_TEST(back.grant->authorization.size() == 5000u);
}

BOOST_AUTO_TEST_CASE(what_seals_opens_and_what_could_not_open_is_refused_at_once) {
  TokenSealer sealer(kKey);
  DownloadGrant large = sample();
  large.authorization = "Bearer " + std::string(12000, 'x');
  BOOST_TEST(sealer.open(sealer.seal(large), TokenPurpose::kPackage, 1).grant.has_value());
  large.authorization = "Bearer " + std::string(13000, 'x');
  try {
    sealer.seal(large);
    BOOST_FAIL("sealed a token open() would refuse");
  } catch (const Error& e) {
    BOOST_TEST((e.kind() == ErrorKind::kInvalidInput));
  }
}

BOOST_AUTO_TEST_CASE(nonces_differ) {
  TokenSealer sealer(kKey);
  BOOST_TEST(sealer.seal(sample()) != sealer.seal(sample()));
}

BOOST_AUTO_TEST_CASE(every_tampered_character_is_rejected) {
  TokenSealer sealer(kKey);
  std::string token = sealer.seal(sample());
  for (size_t i = 0; i < token.size(); ++i) {
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    auto opened = sealer.open(bad, TokenPurpose::kPackage, 1000);
    BOOST_TEST(!opened.grant.has_value(), "position " << i);
  }
  for (size_t cut = 0; cut < token.size(); cut += 7) BOOST_TEST(!sealer.open(token.substr(0, cut), TokenPurpose::kPackage, 1000).grant);
}

BOOST_AUTO_TEST_CASE(wrong_key_and_expiry) {
  TokenSealer sealer(kKey);
  TokenSealer other(std::string(32, 'o'));
  std::string token = sealer.seal(sample());
  auto foreign = other.open(token, TokenPurpose::kPackage, 1000);
  BOOST_TEST(!foreign.grant);
  BOOST_TEST((foreign.error == TokenError::kBadSeal));
  auto expired = sealer.open(token, TokenPurpose::kPackage, 2000000000);
  BOOST_TEST(!expired.grant);
  BOOST_TEST((expired.error == TokenError::kExpired));
  BOOST_TEST(sealer.open(token, TokenPurpose::kPackage, 1999999999).grant.has_value());
}

BOOST_AUTO_TEST_CASE(garbage_is_malformed) {
  TokenSealer sealer(kKey);
  for (std::string junk : {std::string(), std::string("!!!"), std::string("A"), std::string(40, 'A'),
                           std::string(100000, 'A'), std::string("AAAA=")}) {
    auto opened = sealer.open(junk, TokenPurpose::kPackage, 1000);
    BOOST_TEST(!opened.grant);
    BOOST_TEST((opened.error == TokenError::kMalformed));
  }
}

BOOST_AUTO_TEST_CASE(keys_are_32_bytes) { BOOST_CHECK_THROW(TokenSealer("short"), std::invalid_argument); }

BOOST_AUTO_TEST_CASE(a_token_of_one_purpose_is_refused_for_the_other) {
  // A checksums token names the release manifest's digest; as a package token it would have let
  // /_packages/<that digest>/ stream the manifest.
  TokenSealer sealer(kKey);
  DownloadGrant checksums = sample();
  checksums.purpose = TokenPurpose::kChecksums;
  std::string token = sealer.seal(checksums);
  auto as_package = sealer.open(token, TokenPurpose::kPackage, 1000);
  BOOST_TEST(!as_package.grant);
  BOOST_TEST((as_package.error == TokenError::kWrongPurpose));
  auto as_checksums = sealer.open(token, TokenPurpose::kChecksums, 1000);
  BOOST_TEST_REQUIRE(as_checksums.grant.has_value());
  BOOST_TEST((as_checksums.grant->purpose == TokenPurpose::kChecksums));
  BOOST_TEST(!sealer.open(sealer.seal(sample()), TokenPurpose::kChecksums, 1000).grant);
}

BOOST_AUTO_TEST_CASE(retired_keys_open_what_they_sealed_and_never_seal) {
  const std::string old_key(32, 'o'), new_key(32, 'n');
  std::string old_token = TokenSealer(old_key).seal(sample());
  TokenSealer rotated(new_key, {old_key});
  BOOST_TEST(rotated.open(old_token, TokenPurpose::kPackage, 1000).grant.has_value());
  std::string fresh = rotated.seal(sample());
  BOOST_TEST(TokenSealer(new_key).open(fresh, TokenPurpose::kPackage, 1000).grant.has_value());
  BOOST_TEST(!TokenSealer(old_key).open(fresh, TokenPurpose::kPackage, 1000).grant);
  // Once the old key is dropped, its tokens are refused.
  auto dropped = TokenSealer(new_key).open(old_token, TokenPurpose::kPackage, 1000);
  BOOST_TEST((dropped.error == TokenError::kBadSeal));
  BOOST_CHECK_THROW(TokenSealer(new_key, {"short"}), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
