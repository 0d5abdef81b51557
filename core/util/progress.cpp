#include "core/util/progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <regex>

namespace dfq {
namespace {
bool g_enabled = true;
}

void ProgressReporter::set_enabled(bool on) { g_enabled = on; }

std::string format_duration(double s) {
  if (s < 0 || s != s) return "?";
  int64_t t = static_cast<int64_t>(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, (t % 3600) / 60);
  if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

double progress_fraction(const std::string& line) {
  static const std::regex steps(R"((\d+)/(\d+) [A-Za-z])");
  std::smatch m;
  if (!std::regex_search(line, m, steps)) return 0;
  const double a = std::stod(m[1]), b = std::stod(m[2]);
  return b > 0 ? std::min(1.0, a / b) : 0;
}

std::string fit_width(const std::string& line, size_t columns) {
  size_t chars = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) continue;  // inside a UTF-8 character
    if (chars++ == columns) return line.substr(0, i);
  }
  return line;
}

ProgressReporter::ProgressReporter(std::string title, int64_t total, std::string unit, int64_t first)
    : title_(std::move(title)), total_(total), unit_(std::move(unit)),
      start_(std::chrono::steady_clock::now()), last_draw_(start_), tty_(isatty(STDERR_FILENO)), first_(first),
      last_done_(first) {}

double ProgressReporter::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressReporter::update(int64_t done, const std::string& status, double under_way, double resumed) {
  if (!g_enabled) return;
  last_done_ = done;
  auto now = std::chrono::steady_clock::now();
  // A terminal gets a live line; a log file gets its first line at once (a sweep watching
  // the log sees the worker alive), then one every 10 s.
  double gap = tty_ ? 0.25 : 10.0;
  if (drawn_ && std::chrono::duration<double>(now - last_draw_).count() < gap && done < total_) return;
  drawn_ = true;
  last_draw_ = now;
  draw(done, status, false, under_way, resumed);
}

void ProgressReporter::phase(const std::string& status) {
  if (!g_enabled) return;
  drawn_ = true;
  last_draw_ = std::chrono::steady_clock::now();
  draw(last_done_, status, false);
}

void progress_note(const std::string& line) {
  if (!g_enabled) return;
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

void ProgressReporter::finish(const std::string& status) {
  if (!g_enabled) return;
  draw(last_done_, status, true);
}

void ProgressReporter::draw(int64_t done, const std::string& status, bool final, double under_way,
                            double resumed) {
  double el = elapsed_seconds();
  double rate = el > 0 ? static_cast<double>(done - first_) / el : 0;
  under_way = std::max(0.0, under_way);
  const double left = static_cast<double>(total_ - done) - under_way;
  // This run's own work: the steps it counted and the work under way, less what was done
  // before it started.
  const double gained = static_cast<double>(done - first_) + under_way - std::max(0.0, resumed);
  const double pace = el > 0 && gained > 0 ? gained / el : 0;
  double eta = pace > 0 ? std::max(0.0, left) / pace : -1;
  int pct = total_ > 0 ? static_cast<int>(100.0 * done / total_) : 100;
  std::string line = final
      ? fmt::format("{}: {}/{} {} in {} ({:.2f} {}/s) {}", title_, done, total_, unit_,
                    format_duration(el), rate, unit_, status)
      : fmt::format("{}: {:3d}% {}/{} {} | {:.2f} {}/s | ETA {} | {}", title_, pct, done, total_,
                    unit_, rate, unit_, format_duration(eta), status);
  if (tty_) {
    struct winsize ws {};
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1) line = fit_width(line, ws.ws_col - 1u);
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace dfq
