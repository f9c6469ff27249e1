#include <boost/test/unit_test.hpp>

#include "base/error.h"
#include "testing/errors.h"
#include "terraform/package_names.h"

using namespace otr;

namespace {

std::string error_of(const std::function<void()>& f) { return otr::testing::message_of<InputError>(f); }

}  // namespace

BOOST_AUTO_TEST_SUITE(package_names)

BOOST_AUTO_TEST_CASE(package_file_names) {
  PackageFileName p = parse_package_file_name("dist/terraform-provider-widget_1.2.0_linux_amd64.zip");
  BOOST_TEST(p.type == "widget");
  BOOST_TEST(p.version == "1.2.0");
  BOOST_TEST(p.platform() == "linux_amd64");

  p = parse_package_file_name("terraform-provider-aws_5.0.0-beta.1+ent.2_darwin_arm64.zip");
  BOOST_TEST(p.type == "aws");
  BOOST_TEST(p.version == "5.0.0-beta.1+ent.2");
  BOOST_TEST(p.platform() == "darwin_arm64");

  p = parse_package_file_name("terraform-provider-my_type_0.1.0_windows_386.zip");
  BOOST_TEST(p.type == "my_type");
  BOOST_TEST(p.platform() == "windows_386");

  BOOST_TEST(package_file_name("widget", "1.2.0", "linux", "amd64") == "terraform-provider-widget_1.2.0_linux_amd64.zip");
}

BOOST_AUTO_TEST_CASE(package_file_names_that_do_not_parse) {
  auto error = [](const char* name) { return error_of([&] { parse_package_file_name(name); }); };
  BOOST_TEST(error("widget.zip").find("not a provider package file name") != std::string::npos);
  BOOST_TEST(error("terraform-provider-widget_1.2.0_linux_amd64.tar.gz").find("expected terraform-provider-") !=
             std::string::npos);
  BOOST_TEST(error("terraform-provider-widget_1.2.0_linux.zip").find("separated by '_'") != std::string::npos);
  BOOST_TEST(error("terraform-provider-widget_v1.2.0_linux_amd64.zip").find("\"v1.2.0\" is not a version") !=
             std::string::npos);
  BOOST_TEST(error("terraform-provider-widget_1.2_linux_amd64.zip").find("not a version") != std::string::npos);
  BOOST_TEST(error("terraform-provider-widget_1.2.0_Linux_amd64.zip").find("not a platform") != std::string::npos);
  BOOST_TEST(error("terraform-provider-_1.2.0_linux_amd64.zip").find("not a provider type") != std::string::npos);
  BOOST_TEST(error("terraform-provider-.zip") != "no error");
}

BOOST_AUTO_TEST_SUITE_END()
