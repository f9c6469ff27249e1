#include "publish/push_report.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ostream>

#include "base/file_io.h"

namespace otr {

std::string human_size(std::int64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = -1;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  return text;
}

void LineReporter::line(const std::string& text) { out_ << text << std::endl; }

namespace {

class TerminalReporter : public PushReporter {
 public:
  TerminalReporter(std::ostream& out, int tty_fd) : out_(out), fd_(tty_fd) {}

  void upload_started(const std::string& label, std::int64_t size) override {
    label_ = label;
    size_ = size;
    sent_ = 0;
    drawn_ = false;
    last_draw_ = {};
    draw(true);
  }
  void upload_progress(std::int64_t sent) override {
    sent_ = sent;
    draw(size_ >= 0 && sent_ >= size_);  // the end is drawn at once; an unknown size has none
  }
  void upload_finished() override {
    if (size_ < 0) draw(true);  // what arrived in the end, as a known size's full bar shows it
    clear();
  }
  void line(const std::string& text) override {
    clear();
    out_ << text << std::endl;
  }

 private:
  void draw(bool force) {
    auto now = std::chrono::steady_clock::now();
    if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    constexpr int kWidth = 30;
    std::string bar;
    if (size_ < 0) {
      // Size unknown (a download without Content-Length): the bytes so far, no made-up total.
      bar = "\r" + label_ + " " + human_size(sent_) + "\x1b[K";
    } else {
      int filled =
          size_ > 0 ? static_cast<int>(kWidth * static_cast<double>(sent_) / static_cast<double>(size_)) : kWidth;
      if (filled > kWidth) filled = kWidth;
      bar = "\r" + label_ + " [" + std::string(static_cast<size_t>(filled), '#') +
            std::string(static_cast<size_t>(kWidth - filled), ' ') + "] " + human_size(sent_) + " / " +
            human_size(size_) + "\x1b[K";
    }
    show(bar);
    drawn_ = true;
  }
  void clear() {
    if (!drawn_) return;
    show("\r\x1b[K");
    drawn_ = false;
  }
  void show(const std::string& text) {
    (void)write_all(fd_, text);  // a progress bar is not worth failing for
  }

  std::ostream& out_;
  int fd_;
  std::string label_;
  std::int64_t size_ = 0;
  std::int64_t sent_ = 0;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace

std::unique_ptr<PushReporter> make_terminal_reporter(std::ostream& out, int tty_fd) {
  return std::make_unique<TerminalReporter>(out, tty_fd);
}

std::unique_ptr<PushReporter> make_reporter(std::ostream& out, bool quiet) {
  if (!quiet && ::isatty(STDERR_FILENO)) return make_terminal_reporter(out, STDERR_FILENO);
  return std::make_unique<LineReporter>(out);
}

}  // namespace otr
