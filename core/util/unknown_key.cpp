#include "core/util/unknown_key.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace dfq {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), size_t{0});
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string unknown_key_message(const std::string& key, std::vector<std::string> valid) {
  std::sort(valid.begin(), valid.end());
  valid.erase(std::unique(valid.begin(), valid.end()), valid.end());
  std::string best;
  size_t best_distance = 3;  // suggest only within 2 edits
  for (const auto& v : valid) {
    const size_t d = edit_distance(key, v);
    // Edits must touch less than half of the longer key: `lr` is not a typo of `lr_q`.
    if (d < best_distance && 2 * d < std::max(key.size(), v.size())) {
      best = v;
      best_distance = d;
    }
  }
  return fmt::format("unknown key '{}'{}; valid keys: {}", key, best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best),
                     fmt::join(valid, ", "));
}

}  // namespace dfq
