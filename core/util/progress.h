// One progress line on stderr for long work: position, rate, ETA and a free-text status.
#pragma once
#include <chrono>
#include <string>

namespace dfq {

class ProgressReporter {
 public:
  // total: number of steps; label: what is counted (e.g. "iter").
  ProgressReporter(std::string title, int64_t total, std::string unit = "it");
  // Advances to `done` steps; redraws at most a few times per second.
  void update(int64_t done, const std::string& status = "");
  // Final line with the total time, at the last position `update` was given (a run that
  // stops early says how far it got, and its rate counts only the steps it made).
  void finish(const std::string& status = "");
  double elapsed_seconds() const;
  static void set_enabled(bool on);

 private:
  void draw(int64_t done, const std::string& status, bool final);
  std::string title_;
  int64_t total_;
  std::string unit_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool tty_;
  bool drawn_ = false;  // a first line was written
  int64_t last_done_ = 0;  // the position of the latest `update`, drawn or not
};

std::string format_duration(double seconds);

}  // namespace dfq
