// One run, or two side by side, as the inspection commands show them (dfq show, dfq diff,
// dfq runs --format): the resolved configuration, the final metrics, a summary of each
// curve, and how the run was obtained.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/store/run_store.h"

namespace dfq {

struct RunView {
  RunRecord run;
  std::map<std::string, double> metrics;
  std::vector<CurvePoint> curves;
};

// Reads a run by its id ("12") or its uid (32 hex digits, or a unique prefix of 8 or
// more); throws InvalidInputError naming the run when none (or more than one) matches.
RunView load_run_view(const RunStore& store, const std::string& ref);

// A curve's points of one key: how many, the first and last (step, value), min and max.
struct CurveSummary {
  std::string key;
  int64_t n = 0;
  int64_t first_step = 0, last_step = 0;
  double first = 0, last = 0, min = 0, max = 0;
};
std::vector<CurveSummary> summarize_curves(const std::vector<CurvePoint>& curves);

// The run's fields, metrics and (when `with_config`) its configuration, as JSON; non-finite
// metrics are null.
nlohmann::json run_json(const RunView& view, bool with_config);
std::string render_run_show(const RunView& view);
// Every configuration key (flattened, "a.b") and metric that differs, side by side; then
// how the runs were obtained, where that differs.
std::string render_run_diff(const RunView& a, const RunView& b);

// `dfq runs` as CSV (RFC 4180) or JSON: one record per run with its main metrics.
std::string render_runs_list_csv(const std::vector<RunView>& runs);
nlohmann::json runs_list_json(const std::vector<RunView>& runs);

}  // namespace dfq
