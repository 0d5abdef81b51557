// One progress line on stderr for long work: position, rate, ETA and a free-text status.
#pragma once
#include <chrono>
#include <string>

namespace dfq {

class ProgressReporter {
 public:
  // total: number of steps; label: what is counted (e.g. "iter"). first: steps done before
  // this reporter started (a resumed run): shown in the count, not in the rate.
  ProgressReporter(std::string title, int64_t total, std::string unit = "it", int64_t first = 0);
  // Advances to `done` steps; redraws at most a few times per second. `under_way`: steps'
  // worth of work begun but not done (e.g. 1.4 when two running cells are at 60 % and 80 %),
  // counted in the ETA but not in the count. `resumed`: steps' worth of the counted and
  // under-way work that was done before this reporter started (a sweep's resumed cells: one
  // that restarts at 70 % adds 0.7): not this run's pace, so left out of the ETA's rate.
  void update(int64_t done, const std::string& status = "", double under_way = 0, double resumed = 0);
  // Draws the current position now with `status` (not throttled): a phase that starts and
  // takes a while without steps, e.g. "evaluating", shows at once in a sweep's status.
  void phase(const std::string& status);
  // Final line with the total time, at the last position `update` was given (a run that
  // stops early says how far it got, and its rate counts only the steps it made).
  void finish(const std::string& status = "");
  double elapsed_seconds() const;
  static void set_enabled(bool on);

 private:
  void draw(int64_t done, const std::string& status, bool final, double under_way = 0, double resumed = 0);
  std::string title_;
  int64_t total_;
  std::string unit_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool tty_;
  bool drawn_ = false;  // a first line was written
  int64_t first_ = 0;      // steps done before the start
  int64_t last_done_ = 0;  // the position of the latest `update`, drawn or not
};

std::string format_duration(double seconds);

// One line on stderr for a phase outside any progress line ("int8 export", "latency"), where
// progress lines are on; a sweep shows it as the worker's state.
void progress_note(const std::string& line);

// How far a progress line says its work is: the a/b of its first "a/b <unit>" as a
// fraction (a worker's "gdfq W4A4 ...:  55% 221/400 it | ..." gives 0.5525); 0 when none.
double progress_fraction(const std::string& line);

// `line` cut to `columns` characters (UTF-8 aware), for a terminal of that width.
std::string fit_width(const std::string& line, size_t columns);

}  // namespace dfq
