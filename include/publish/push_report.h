// What `push` tells its user: one summary line per package, and progress while bytes move.
//
// LineReporter writes summary lines to a stream (stdout); the terminal reporter (when stderr is a
// terminal) also draws a progress bar per upload on stderr. Nothing here ever sees credentials.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>

namespace otr {

class PushReporter {
 public:
  virtual ~PushReporter() = default;
  // An upload (or download) of `size` bytes labelled `label` ("linux_amd64") begins; progress
  // follows. `size` is -1 when it is not known.
  virtual void upload_started(const std::string& label, std::int64_t size) = 0;
  virtual void upload_progress(std::int64_t sent) = 0;
  virtual void upload_finished() = 0;
  // A summary line (no trailing newline).
  virtual void line(const std::string& text) = 0;
};

// Summary lines only.
class LineReporter : public PushReporter {
 public:
  explicit LineReporter(std::ostream& out) : out_(out) {}
  void upload_started(const std::string&, std::int64_t) override {}
  void upload_progress(std::int64_t) override {}
  void upload_finished() override {}
  void line(const std::string& text) override;

 private:
  std::ostream& out_;
};

// Summary lines to `out`, plus a progress bar redrawn on the terminal `tty_fd` at most ten times
// a second.
std::unique_ptr<PushReporter> make_terminal_reporter(std::ostream& out, int tty_fd);

// The reporter for this process: a terminal reporter when stderr is a terminal (and `quiet` is
// false), else summary lines only.
std::unique_ptr<PushReporter> make_reporter(std::ostream& out, bool quiet);

// "512 B", "1.5 KiB", "20.0 MiB".
std::string human_size(std::int64_t bytes);

}  // namespace otr
