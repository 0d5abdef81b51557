#include "reports/selection.h"

#include <algorithm>
#include <set>

namespace dfq {

std::vector<SelectedRun> select_runs(const RunStore& store, const RunSelection& s, LeftOut* left_out) {
  RunFilter filter;
  filter.suite = s.suite;
  filter.status = "done";
  std::set<CellId> seen;
  std::vector<SelectedRun> out;
  for (const auto& r : store.list_runs(filter)) {  // newest first
    if (!s.methods.empty() && std::find(s.methods.begin(), s.methods.end(), r.key.method) == s.methods.end()) continue;
    const BitWidth b{r.key.w_bits, r.key.a_bits};
    if (!s.bits.empty() && std::find(s.bits.begin(), s.bits.end(), b) == s.bits.end()) continue;
    if (s.mismatch) {
      auto why = s.mismatch(r);
      if (!why.empty()) {
        if (left_out && left_out->runs++ == 0) {
          left_out->example_run = r.id;
          left_out->example_why = std::move(why);
        }
        continue;
      }
    }
    auto metrics = store.metrics(r.id);
    if (!metrics.count(s.metric)) continue;
    auto row = s.row_of ? s.row_of(r, metrics) : r.key.method;
    if (!seen.insert(cell_id(r.key, row)).second) continue;  // an older run
    out.push_back({r, std::move(metrics), std::move(row)});
  }
  return out;
}

}  // namespace dfq
