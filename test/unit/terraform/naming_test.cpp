#include <boost/test/unit_test.hpp>

#include "base/error.h"
#include "testing/errors.h"
#include "terraform/naming.h"

using namespace otr;

namespace {

std::string error_of(const std::function<void()>& f) { return otr::testing::message_of<InputError>(f); }

}  // namespace

BOOST_AUTO_TEST_SUITE(naming)

BOOST_AUTO_TEST_CASE(provider_addresses) {
  ProviderAddress a = parse_provider_address("acme/widget");
  BOOST_TEST(a.to_string() == "registry.terraform.io/acme/widget");
  a = parse_provider_address("Example.COM:8443/Acme/Widget");
  BOOST_TEST(a.hostname == "example.com:8443");
  BOOST_TEST(a.ns == "acme");
  BOOST_TEST(a.type == "widget");
  BOOST_TEST(error_of([] { parse_provider_address("widget"); }).find("NAMESPACE/TYPE") != std::string::npos);
  BOOST_TEST(error_of([] { parse_provider_address("a/b/c/d"); }) != "no error");
  BOOST_TEST(error_of([] { parse_provider_address("exa mple.com/a/b"); }).find("not a hostname") != std::string::npos);
  BOOST_TEST(error_of([] { parse_provider_address("acme/wid.get"); }) != "no error");
  BOOST_TEST(error_of([] { parse_provider_address("/widget"); }) != "no error");
}

BOOST_AUTO_TEST_CASE(provider_names_map_to_components) {
  BOOST_TEST(provider_name_to_component("HashiCorp").value_or("?") == "hashicorp");
  BOOST_TEST(provider_name_to_component("my-ns").value_or("?") == "my-ns");
  BOOST_TEST(provider_name_to_component("my_ns").value_or("?") == "my_ns");
  BOOST_TEST(provider_name_to_component(std::string(64, 'a')).has_value());
  for (const char* bad : {"", "-a", "a-", "_a", "a.b", "a___b", "a/b", "a b"})
    BOOST_TEST(!provider_name_to_component(bad).has_value(), bad);
  BOOST_TEST(!provider_name_to_component(std::string(65, 'a')).has_value());
}

BOOST_AUTO_TEST_CASE(module_addresses) {
  ModuleAddress m = parse_module_address("Acme/Network/AWS");
  BOOST_TEST(m.to_string() == "acme/network/aws");
  BOOST_CHECK_THROW(parse_module_address("acme/network"), InputError);
  BOOST_CHECK_THROW(parse_module_address("acme/net work/aws"), InputError);
  BOOST_CHECK_THROW(parse_module_address("acme/network/aws-x"), InputError);
  BOOST_CHECK_THROW(parse_module_address("acme/network/aws/extra"), InputError);
}

BOOST_AUTO_TEST_CASE(addresses_from_url_parts_are_values) {
  auto a = provider_address("Registry.Terraform.IO", "HashiCorp", "AWS");
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST(a->to_string() == "registry.terraform.io/hashicorp/aws");
  BOOST_TEST(!provider_address("bad host", "a", "b"));
  BOOST_TEST(!provider_address("example.com", "a.b", "c"));
  auto m = module_address("Acme", "Net", "AWS");
  BOOST_TEST_REQUIRE(m.has_value());
  BOOST_TEST(m->to_string() == "acme/net/aws");
  BOOST_TEST(!module_address("acme", "net", "aws-x"));
}

// The one naming the services and push share.
BOOST_AUTO_TEST_CASE(repository_naming) {
  ProviderAddress widget{"example.com:8443", "acme", "widget"};
  BOOST_TEST(RepositoryNaming("terraform-providers").provider(widget) ==
             "terraform-providers/example.com_8443/acme/widget");
  BOOST_TEST(RepositoryNaming("").provider(widget) == "example.com_8443/acme/widget");
  BOOST_TEST(RepositoryNaming("p", std::string("registry.terraform.io")).provider(widget) ==
             "p/registry.terraform.io/acme/widget");
  BOOST_TEST(RepositoryNaming("p", std::string()).provider(widget) == "p/acme/widget");
  BOOST_TEST(RepositoryNaming("tf-modules").module(parse_module_address("Acme/Network/AWS")) ==
             "tf-modules/acme/network/aws");
  BOOST_TEST(RepositoryNaming("").module(parse_module_address("acme/network/aws")) == "acme/network/aws");
}

BOOST_AUTO_TEST_SUITE_END()
