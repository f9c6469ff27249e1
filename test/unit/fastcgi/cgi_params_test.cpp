#include <boost/test/unit_test.hpp>

#include "fastcgi/cgi_params.h"

using namespace otr;

namespace {

const std::vector<std::string> kNames = {"healthz", ".well-known", "mirror", "other"};

Request make(std::vector<std::string> params) {
  std::vector<std::string_view> views(params.begin(), params.end());
  return request_from_cgi(views, kNames);
}

const char* kUri = "REQUEST_URI=/mirror/registry.terraform.io/hashicorp/null/index.json";

}  // namespace

BOOST_AUTO_TEST_SUITE(cgi_request)

BOOST_AUTO_TEST_CASE(nginx_plain_fastcgi_params) {
  // include fastcgi_params: the whole path in SCRIPT_NAME, no PATH_INFO.
  Request r = make({"REQUEST_METHOD=GET", kUri, "SCRIPT_NAME=/mirror/registry.terraform.io/hashicorp/null/index.json",
                    "QUERY_STRING=", "HTTP_HOST=tf.example.com", "HTTPS=on"});
  BOOST_TEST(r.mount == "");
  BOOST_TEST(r.path == "/mirror/registry.terraform.io/hashicorp/null/index.json");
  BOOST_TEST(r.scheme == "https");
  BOOST_TEST(r.host == "tf.example.com");
}

BOOST_AUTO_TEST_CASE(without_a_split_the_application_is_at_the_root) {
  // The mount is never guessed from the client's path: "/tf" here could be anything a client wrote.
  Request r = make({"REQUEST_URI=/tf/mirror/x/y?token=abc", "SCRIPT_NAME=/tf/mirror/x/y"});
  BOOST_TEST(r.mount == "");
  BOOST_TEST(r.path == "/tf/mirror/x/y");
  BOOST_TEST(r.query == "token=abc");
  BOOST_TEST(r.bad_request == "");
}

BOOST_AUTO_TEST_CASE(a_client_cannot_choose_the_mount_that_links_are_built_from) {
  // nginx `location /` with plain fastcgi_params: "//evil.example/mirror" once became mount
  // "//evil.example" and a redirect to //evil.example/mirror/.
  Request r = make({"REQUEST_URI=//evil.example/mirror", "SCRIPT_NAME=/evil.example/mirror"});
  BOOST_TEST(r.mount == "");
  BOOST_TEST(r.path == "//evil.example/mirror");  // the router refuses the empty segment
  Request discovery = make({"REQUEST_URI=/evil.example/.well-known/terraform.json",
                            "SCRIPT_NAME=/evil.example/.well-known/terraform.json"});
  BOOST_TEST(discovery.mount == "");
  BOOST_TEST(discovery.path == "/evil.example/.well-known/terraform.json");
  // A rewrite to a script: the mount is the script's directory, whatever the client wrote below it.
  Request rewrite = make({"REQUEST_URI=/tf//evil.example/mirror", "SCRIPT_NAME=/tf/registry.fcgi",
                          "PATH_INFO=/evil.example/mirror"});
  BOOST_TEST(rewrite.mount == "/tf");
  BOOST_TEST(rewrite.path == "//evil.example/mirror");
}

BOOST_AUTO_TEST_CASE(a_mount_that_cannot_be_used_in_links_is_a_bad_request) {
  for (std::string script : {"/a\\b", "//evil.example", "/a/../b", "/a%2fb"}) {
    Request r = make({"REQUEST_URI=" + script + "/mirror/a", "SCRIPT_NAME=" + script, "PATH_INFO=/mirror/a"});
    BOOST_TEST(r.bad_request != "", script);
    BOOST_TEST(r.mount == "", script);
  }
}

BOOST_AUTO_TEST_CASE(a_script_name_that_is_not_a_path_never_throws) {
  // Once std::out_of_range, outside the handler's try block: the worker terminated.
  Request r = make({"SCRIPT_NAME=x", "PATH_INFO=/a"});
  BOOST_TEST(r.bad_request != "");
  Request relative = make({"SCRIPT_NAME=mirror", "PATH_INFO=/a", "REQUEST_URI=/mirror/a"});
  BOOST_TEST(relative.bad_request != "");
}

BOOST_AUTO_TEST_CASE(no_combination_of_parameters_throws) {
  const std::vector<std::string> scripts = {"", "/", "x", "/mirror", "/mirror/", "//", "/tf/registry.fcgi", "\\",
                                            "/a/b/c/d"};
  const std::vector<std::string> infos = {"", "/", "x", "/a", "//", "/mirror/a/index.json"};
  const std::vector<std::string> uris = {"", "/", "?", "x", "//", "http://h", "http://h/mirror/a", "/mirror/a?x",
                                         "/tf/mirror/a", "%", "/%2F"};
  for (const auto& s : scripts)
    for (const auto& i : infos)
      for (const auto& u : uris) {
        std::vector<std::string> params;
        if (!s.empty()) params.push_back("SCRIPT_NAME=" + s);
        if (!i.empty()) params.push_back("PATH_INFO=" + i);
        if (!u.empty()) params.push_back("REQUEST_URI=" + u);
        BOOST_CHECK_NO_THROW(make(params));
        Request r = make(params);
        BOOST_TEST((!r.path.empty() && r.path.front() == '/'), s + " " + i + " " + u);
      }
}

BOOST_AUTO_TEST_CASE(a_target_that_is_not_a_path_is_a_bad_request) {
  // http/message.h: Request::path always starts with '/'; "OPTIONS *" and a bare "x" are not paths.
  for (const std::string uri : {"*", "x", "x/mirror/a", "mirror/a?x=1"}) {
    Request r = make({"REQUEST_URI=" + uri});
    BOOST_TEST(r.bad_request != "", uri);
    BOOST_TEST(r.path == "/", uri);
  }
  BOOST_TEST(make({"REQUEST_URI=/mirror/a"}).bad_request == "");
  BOOST_TEST(make({"REQUEST_URI=http://h/mirror/a"}).bad_request == "");
}

BOOST_AUTO_TEST_CASE(nginx_split_path_info_at_the_service) {
  Request r = make({kUri, "SCRIPT_NAME=/mirror", "PATH_INFO=/registry.terraform.io/hashicorp/null/index.json"});
  BOOST_TEST(r.mount == "");
  BOOST_TEST(r.path == "/mirror/registry.terraform.io/hashicorp/null/index.json");
}

BOOST_AUTO_TEST_CASE(apache_alias_of_the_whole_app_under_a_prefix) {
  Request r = make({"REQUEST_URI=/tf/mirror/a/b", "SCRIPT_NAME=/tf", "PATH_INFO=/mirror/a/b", "UNIQUE_ID=abc-123"});
  BOOST_TEST(r.mount == "/tf");
  BOOST_TEST(r.path == "/mirror/a/b");
  BOOST_TEST(r.request_id == "abc-123");
}

BOOST_AUTO_TEST_CASE(lighttpd_key_at_the_service_and_at_root) {
  Request keyed = make({kUri, "SCRIPT_NAME=/mirror", "PATH_INFO=/registry.terraform.io/hashicorp/null/index.json"});
  BOOST_TEST(keyed.path == "/mirror/registry.terraform.io/hashicorp/null/index.json");
  Request root = make({kUri, "SCRIPT_NAME=/", "PATH_INFO=/mirror/registry.terraform.io/hashicorp/null/index.json"});
  BOOST_TEST(root.mount == "");
  BOOST_TEST(root.path == "/mirror/registry.terraform.io/hashicorp/null/index.json");
  Request whole = make({kUri, "SCRIPT_NAME=/mirror/registry.terraform.io/hashicorp/null/index.json"});
  BOOST_TEST(whole.path == "/mirror/registry.terraform.io/hashicorp/null/index.json");
}

BOOST_AUTO_TEST_CASE(raw_path_keeps_what_the_client_sent) {
  // Web servers decode SCRIPT_NAME/PATH_INFO; the router must see %2F and dot segments as sent.
  Request slash = make({"REQUEST_URI=/mirror/a%2Fb/c/index.json", "SCRIPT_NAME=/mirror", "PATH_INFO=/a/b/c/index.json"});
  BOOST_TEST(slash.path == "/mirror/a%2Fb/c/index.json");
  Request dots = make({"REQUEST_URI=/mirror/%2e%2e/x", "SCRIPT_NAME=/mirror/../x"});
  BOOST_TEST(dots.path == "/mirror/%2e%2e/x");
  Request no_uri = make({"SCRIPT_NAME=/mirror", "PATH_INFO=/a b/c"});
  BOOST_TEST(no_uri.path == "/mirror/a%20b/c");
}

BOOST_AUTO_TEST_CASE(apache_rewrite_to_the_script_in_a_user_directory) {
  // .htaccess: RewriteRule ^(.*)$ registry.fcgi/$1 -- the client's URL never named the script.
  Request r = make({"REQUEST_URI=/~ann/mirror/a/index.json", "SCRIPT_NAME=/~ann/registry.fcgi",
                    "PATH_INFO=/mirror/a/index.json"});
  BOOST_TEST(r.mount == "/~ann");
  BOOST_TEST(r.path == "/mirror/a/index.json");
}

BOOST_AUTO_TEST_CASE(segment_prefix_is_not_a_string_prefix) {
  Request r = make({"REQUEST_URI=/mirrorX/a", "SCRIPT_NAME=/mirror", "PATH_INFO=/a"});
  // Never strips "/mirror" off "/mirrorX": the client's URL is taken as it was (service "mirrorX").
  BOOST_TEST(r.mount == "");
  BOOST_TEST(r.path == "/mirrorX/a");
}

BOOST_AUTO_TEST_CASE(headers_and_credentials) {
  Request r = make({kUri, "HTTP_AUTHORIZATION=Bearer abc", "HTTP_IF_NONE_MATCH=\"x\"", "HTTP_X_FORWARDED_PROTO=https,http",
                    "REQUEST_METHOD=HEAD"});
  BOOST_TEST(r.method == "HEAD");
  BOOST_TEST(r.headers.get("Authorization") == "Bearer abc");
  BOOST_TEST(r.headers.get("If-None-Match") == "\"x\"");
  BOOST_TEST(r.scheme == "https");
  Request fcgid = make({kUri, "Authorization=Bearer from-fcgid"});
  BOOST_TEST(fcgid.headers.get("Authorization") == "Bearer from-fcgid");
  Request both = make({kUri, "HTTP_AUTHORIZATION=Bearer first", "HTTP_AUTHORIZATION=Bearer second"});
  BOOST_TEST(both.headers.get("Authorization") == "Bearer first");
}

BOOST_AUTO_TEST_CASE(the_host_keeps_the_port_the_client_used) {
  // Debian's fastcgi_params: HTTP_HOST is $host, without the port.
  Request r = make({kUri, "HTTP_HOST=tf.example.com", "SERVER_PORT=8443", "HTTPS=on"});
  BOOST_TEST(r.host == "tf.example.com:8443");
  BOOST_TEST(make({kUri, "HTTP_HOST=tf.example.com", "SERVER_PORT=443", "HTTPS=on"}).host == "tf.example.com");
  BOOST_TEST(make({kUri, "HTTP_HOST=tf.example.com", "SERVER_PORT=80"}).host == "tf.example.com");
  BOOST_TEST(make({kUri, "HTTP_HOST=tf.example.com", "SERVER_PORT=443"}).host == "tf.example.com:443");  // http
  BOOST_TEST(make({kUri, "HTTP_HOST=tf.example.com:9443", "SERVER_PORT=443", "HTTPS=on"}).host == "tf.example.com:9443");
  BOOST_TEST(make({kUri, "HTTP_HOST=[::1]", "SERVER_PORT=8443", "HTTPS=on"}).host == "[::1]:8443");
  BOOST_TEST(make({kUri, "HTTP_HOST=[::1]:8443", "SERVER_PORT=8443", "HTTPS=on"}).host == "[::1]:8443");
  // Behind a proxy that terminates TLS, SERVER_PORT is the web server's own port, not the client's.
  Request proxied = make({kUri, "HTTP_HOST=tf.example.com", "SERVER_PORT=8080", "HTTP_X_FORWARDED_PROTO=https"});
  BOOST_TEST(proxied.scheme == "https");
  BOOST_TEST(proxied.host == "tf.example.com");
  BOOST_TEST(make({kUri, "SERVER_NAME=tf.example.com", "SERVER_PORT=80", "HTTP_X_FORWARDED_PROTO=https"}).host ==
             "tf.example.com");
}

BOOST_AUTO_TEST_CASE(host_from_server_name_and_request_ids) {
  Request r = make({kUri, "SERVER_NAME=mirror.local", "SERVER_PORT=8443", "HTTP_X_REQUEST_ID=id<script>1"});
  BOOST_TEST(r.host == "mirror.local:8443");
  BOOST_TEST(r.scheme == "http");
  BOOST_TEST(r.request_id == "idscript1");
  BOOST_TEST(make({}).path == "/");
  BOOST_TEST(make({}).method == "GET");
}

BOOST_AUTO_TEST_SUITE_END()
