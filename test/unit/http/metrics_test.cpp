#include <boost/test/unit_test.hpp>

#include "http/metrics.h"

namespace otr {

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(kinds_of_request_and_registry_call_by_path) {
  BOOST_TEST(static_cast<int>(request_kind("/m/registry.terraform.io/a/b/index.json")) ==
             static_cast<int>(RequestKind::kProviderIndex));
  BOOST_TEST(static_cast<int>(request_kind("/m/registry.terraform.io/a/b/1.0.0.json")) ==
             static_cast<int>(RequestKind::kProviderVersion));
  BOOST_TEST(static_cast<int>(request_kind("/r/a/b/versions")) == static_cast<int>(RequestKind::kVersions));
  BOOST_TEST(static_cast<int>(request_kind("/modules/a/n/aws/versions")) ==
             static_cast<int>(RequestKind::kModuleVersions));
  BOOST_TEST(static_cast<int>(request_kind("/r/a/b/1.0.0/download/linux/amd64")) ==
             static_cast<int>(RequestKind::kDownload));
  BOOST_TEST(static_cast<int>(request_kind("/modules/a/n/aws/1.0.0/download")) ==
             static_cast<int>(RequestKind::kModuleDownload));
  BOOST_TEST(static_cast<int>(request_kind("/r/_packages/sha256:x/f.zip")) == static_cast<int>(RequestKind::kPackage));
  BOOST_TEST(static_cast<int>(request_kind("/r/a/b/1.0.0/SHA256SUMS.sig")) == static_cast<int>(RequestKind::kChecksums));
  BOOST_TEST(static_cast<int>(request_kind("/m/")) == static_cast<int>(RequestKind::kPage));
  BOOST_TEST(static_cast<int>(request_kind("/.well-known/terraform.json")) == static_cast<int>(RequestKind::kDiscovery));
  BOOST_TEST(static_cast<int>(registry_call_kind("https://r/v2/p/a/tags/list?n=1000")) ==
             static_cast<int>(RegistryCallKind::kTags));
  BOOST_TEST(static_cast<int>(registry_call_kind("https://r/v2/p/a/manifests/1.0.0")) ==
             static_cast<int>(RegistryCallKind::kManifest));
  BOOST_TEST(static_cast<int>(registry_call_kind("https://r/v2/p/a/blobs/uploads/x")) ==
             static_cast<int>(RegistryCallKind::kUpload));
  BOOST_TEST(static_cast<int>(registry_call_kind("https://auth/token?service=r&scope=repository:a:pull")) ==
             static_cast<int>(RegistryCallKind::kToken));
}

BOOST_AUTO_TEST_CASE(the_exposition_has_types_labels_and_cumulative_buckets) {
  auto m = std::make_unique<PoolMetrics>();
  m->set_services({"mirror", "we\"ird"});
  m->request_started();
  m->request_finished("mirror", RequestKind::kProviderIndex, 200, 0.004, 120);
  m->request_started();
  m->request_finished("we\"ird", RequestKind::kPage, 418, 2.0, 10);
  m->registry_call(RegistryCallKind::kTags, CallOutcome::kOk, 0.02);
  m->cache(3, 1, 2, 1);
  m->worker_started();
  m->worker_exited(WorkerExit::kRecycled);
  m->reloaded();
  const std::string text = m->render(0);
  BOOST_TEST(text.find("# TYPE otr_requests_total counter\n") != std::string::npos);
  BOOST_TEST(text.find("otr_requests_total{service=\"mirror\",kind=\"provider_index\",code=\"200\"} 1\n") !=
             std::string::npos);
  BOOST_TEST(text.find("otr_requests_total{service=\"we\\\"ird\",kind=\"page\",code=\"0\"} 1\n") != std::string::npos);
  BOOST_TEST(text.find("otr_request_duration_seconds_bucket{service=\"mirror\",kind=\"provider_index\",le=\"0.001\"} 0\n") !=
             std::string::npos);
  BOOST_TEST(text.find("otr_request_duration_seconds_bucket{service=\"mirror\",kind=\"provider_index\",le=\"0.005\"} 1\n") !=
             std::string::npos);
  BOOST_TEST(text.find("otr_request_duration_seconds_bucket{service=\"mirror\",kind=\"provider_index\",le=\"+Inf\"} 1\n") !=
             std::string::npos);
  BOOST_TEST(text.find("otr_registry_calls_total{kind=\"tags\",outcome=\"ok\"} 1\n") != std::string::npos);
  BOOST_TEST(text.find("otr_cache_stale_total 2\n") != std::string::npos);
  BOOST_TEST(text.find("otr_requests_in_flight 0\n") != std::string::npos);
  BOOST_TEST(text.find("otr_worker_exits_total{cause=\"recycled\"} 1\n") != std::string::npos);
  BOOST_TEST(text.find("otr_reloads_total 1\n") != std::string::npos);
  BOOST_TEST(m->render(4242).find("otr_reloads_total{pid=\"4242\"} 1\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_reload_that_reorders_services_keeps_their_counts_under_their_names) {
  auto m = std::make_unique<PoolMetrics>();
  m->set_services({"a", "b"});
  m->request_started();
  m->request_finished("a", RequestKind::kPage, 200, 0.001, 1);
  m->set_services({"b", "c", "a"});
  const std::string text = m->render(0);
  BOOST_TEST(text.find("otr_requests_total{service=\"a\",kind=\"page\",code=\"200\"} 1\n") != std::string::npos);
  BOOST_TEST(text.find("service=\"b\",kind=\"page\"") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace otr
