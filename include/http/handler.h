// What a front end (fastcgi/) serves: the application, seen only through this interface.
#pragma once

#include <string>
#include <vector>

#include "http/message.h"

namespace otr {

// Answers requests. One per worker process, shared by its threads: handle() must be thread-safe.
class Handler {
 public:
  virtual ~Handler() = default;
  // Writes the whole answer to `sink` (start() exactly once). Never throws for anything a client
  // or an origin does; an exception is a bug, which the front end answers with a 500.
  virtual void handle(const Request& request, ResponseSink& sink) = 0;
  // The first path segments this handler answers (services, "healthz", ".well-known"), which tell
  // a front end where the application's own path begins (see fastcgi/cgi_params.h).
  virtual std::vector<std::string> top_level_names() const = 0;
};

}  // namespace otr
