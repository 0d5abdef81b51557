#include "core/quant/range_tracker.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/util/error.h"

namespace dfq {

std::vector<double> RangeTracker::state() const {
  return {beta_t_, min_, max_, raw_min_, raw_max_, static_cast<double>(updates_)};
}

void RangeTracker::restore(const std::vector<double>& s) {
  if (s.size() != 6) throw InvalidInputError(fmt::format("a range tracker's state has 6 values, got {}", s.size()));
  beta_t_ = s[0];
  min_ = s[1];
  max_ = s[2];
  raw_min_ = s[3];
  raw_max_ = s[4];
  updates_ = static_cast<int64_t>(s[5]);
}

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
