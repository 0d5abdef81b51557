#include "core/gen/synthesis.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "core/util/error.h"
#include "core/util/interrupt.h"

namespace dfq {

PlateauScheduler::PlateauScheduler(double lr, int64_t patience, double factor, double min_lr, double threshold)
    : lr_(lr), factor_(factor), min_lr_(min_lr), threshold_(threshold), patience_(patience),
      best_(std::numeric_limits<double>::infinity()) {
  if (lr <= 0 || patience < 0 || factor <= 0 || factor >= 1)
    throw InvalidInputError(fmt::format("plateau schedule needs lr > 0, patience >= 0 and 0 < factor < 1 "
                                        "(got lr {}, patience {}, factor {})", lr, patience, factor));
}

double PlateauScheduler::step(double loss) {
  if (loss < best_ * (1.0 - threshold_) || (best_ == std::numeric_limits<double>::infinity())) {
    best_ = loss;
    bad_ = 0;
  } else if (++bad_ > patience_) {
    const double next = std::max(lr_ * factor_, min_lr_);
    if (lr_ - next > 1e-8) {
      lr_ = next;
      ++reductions_;
    }
    bad_ = 0;
  }
  return lr_;
}

double optimise_images(torch::Tensor& x, const SynthesisOptions& o,
                       const std::function<torch::Tensor(const torch::Tensor&, int64_t)>& loss_fn,
                       const std::function<void(int64_t, double)>& step) {
  if (o.iterations <= 0) throw InvalidInputError(fmt::format("synthesis iterations must be positive, got {}", o.iterations));
  x = x.detach().clone().set_requires_grad(true);
  torch::optim::Adam opt({x}, torch::optim::AdamOptions(o.lr));
  PlateauScheduler plateau(o.lr, o.patience, 0.1, o.min_lr);
  double last = 0;
  for (int64_t it = 0; it < o.iterations; ++it) {
    throw_if_stopped();
    opt.zero_grad();
    auto loss = loss_fn(x, it);
    last = loss.item<double>();
    if (!std::isfinite(last))
      throw NumericalError(fmt::format("image synthesis loss is {} at iteration {}; the run stops here", last, it + 1));
    loss.backward();
    opt.step();
    const double lr = plateau.step(last);
    for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
    if (step) step(it, last);
  }
  x = x.detach();
  return last;
}

}  // namespace dfq
