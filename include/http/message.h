// Protocol-neutral HTTP request and response values.
//
// Handlers (http/handler.h) take a Request and write to a ResponseSink; they know nothing of
// FastCGI. The FastCGI front end builds Requests from CGI parameters (fastcgi/cgi_params.h) and
// adapts libfcgi's output stream to a ResponseSink (fastcgi/worker.cpp); unit tests use BufferSink.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace otr {

// Header names are kept as given; lookups are case-insensitive.
class Headers {
 public:
  void set(std::string name, std::string value);   // replaces any existing value(s)
  void add(std::string name, std::string value);   // appends (e.g. a second Link header)
  // The first value of `name`, or "" when absent.
  std::string get(std::string_view name) const;
  bool has(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& all() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct Request {
  std::string method;        // "GET", "HEAD", ...
  // Path below the application's mount point, exactly as the client sent it (still
  // percent-encoded), always starting with '/' (a target that is not a path, "*" or "x", is a
  // bad_request with path "/"). Never contains the query string.
  std::string path;
  std::string query;         // raw query string, without '?'
  // Where the web server mounted the application ("" for the root, else "/prefix" with no
  // trailing slash, no empty segments, no backslash). It comes from the web server's
  // configuration, never from the client; links the application emits are made absolute with it.
  std::string mount;
  std::string scheme;        // "https" or "http": for links shown to people (HTML page)
  std::string host;          // the host (and port, unless the scheme's default) as the client reached it,
                             // for links shown to people
  std::string request_id;    // from the web server where it gives one, else ""
  std::string server_software;  // SERVER_SOFTWARE ("nginx/1.22.1", "lighttpd/1.4.69", "Apache/2.4.62 ..."), or ""
  std::string remote_addr;      // REMOTE_ADDR: the client's address as the web server saw it, or ""
  Headers headers;           // request headers: Authorization, If-None-Match, ...
  // Why the front end could not make sense of what the web server passed (answered 400 without
  // routing); "" when the request is usable.
  std::string bad_request;
};

// Where a handler writes its answer. start() exactly once, then write() any number of times.
// For HEAD requests the front end discards body bytes, so handlers may write them regardless.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void start(int status, const Headers& headers) = 0;
  // Returns false once the client has gone away; the handler should stop producing.
  virtual bool write(std::string_view data) = 0;
  virtual bool started() const = 0;
};

// A complete response held in memory: for JSON documents, errors and small pages.
struct Response {
  int status = 200;
  Headers headers;
  std::string body;
};

// Starts `sink` with the response (adding Content-Length) and writes its body.
void send(ResponseSink& sink, const Response& response);

// Collects a response in memory (unit tests, benchmarks).
class BufferSink : public ResponseSink {
 public:
  void start(int status, const Headers& headers) override;
  bool write(std::string_view data) override;
  bool started() const override { return started_; }

  int status = 0;
  Headers headers;
  std::string body;

 private:
  bool started_ = false;
};

// The reason phrase for a status code ("Not Found"), or "" for unknown codes.
std::string_view status_reason(int status);

// The value of `name` in a raw query string ("a=1&token=xyz"), not percent-decoded; "" when absent.
std::string query_param(const std::string& query, std::string_view name);

}  // namespace otr
