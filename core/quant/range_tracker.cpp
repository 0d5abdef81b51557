#include "core/quant/range_tracker.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/util/error.h"

namespace dfq {

void RangeTracker::update(double lo, double hi) {
  ++updates_;
  beta_t_ *= beta_;
  switch (kind_) {
    case RangeTrackerKind::Official:
      min_ = (beta_ * min_ + (1 - beta_) * lo) / (1 - beta_t_);
      max_ = (beta_ * max_ + (1 - beta_) * hi) / (1 - beta_t_);
      break;
    case RangeTrackerKind::Ema:
      raw_min_ = beta_ * raw_min_ + (1 - beta_) * lo;
      raw_max_ = beta_ * raw_max_ + (1 - beta_) * hi;
      min_ = raw_min_ / (1 - beta_t_);
      max_ = raw_max_ / (1 - beta_t_);
      break;
    case RangeTrackerKind::MinMax:
      min_ = updates_ == 1 ? lo : std::min(min_, lo);
      max_ = updates_ == 1 ? hi : std::max(max_, hi);
      break;
  }
}

}  // namespace dfq
