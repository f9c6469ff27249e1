// The single Boost.Test entry point; every other file in test/unit adds suites to it.
#define BOOST_TEST_MODULE oci_distribution_terraform_registry_unit_tests
#include <boost/test/unit_test.hpp>
