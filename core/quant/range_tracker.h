// Activation range tracking for per-tensor activation quantizers.
//  official: the GDFQ/AdaSG code's update, x <- (b*x + (1-b)*batch) / (1 - b^t), applied to
//            the stored (already corrected) value; needs ~200 updates to settle (docs/methods.md).
//  ema:      textbook bias-corrected EMA on a separate raw accumulator.
//  minmax:   running minimum / maximum over all observed batches.
#pragma once
#include <cstdint>
#include <vector>
#include <string>

namespace dfq {

enum class RangeTrackerKind { Official, Ema, MinMax };


class RangeTracker {
 public:
  explicit RangeTracker(RangeTrackerKind kind = RangeTrackerKind::Official, double beta = 0.9)
      : kind_(kind), beta_(beta) {}
  void update(double batch_min, double batch_max);
  double min() const { return min_; }
  double max() const { return max_; }
  int64_t updates() const { return updates_; }
  RangeTrackerKind kind() const { return kind_; }
  void set_range(double lo, double hi) { min_ = lo; max_ = hi; }
  // Everything an update changes (bias-correction power, range, raw accumulators, count), for
  // a run's checkpoint; restore() takes what state() gave, for a tracker of the same kind.
  std::vector<double> state() const;
  void restore(const std::vector<double>& state);

 private:
  RangeTrackerKind kind_;
  double beta_;
  double beta_t_ = 1.0;
  double min_ = 0.0, max_ = 0.0;          // the range used for quantization
  double raw_min_ = 0.0, raw_max_ = 0.0;  // ema only
  int64_t updates_ = 0;
};

}  // namespace dfq
