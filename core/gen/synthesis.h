// Direct image synthesis (no generator): the images themselves are optimised with Adam
// under a plateau learning-rate schedule (ZeroQ's distillation, IntraQ's stage 1).
#pragma once
#include <torch/torch.h>

#include <functional>

namespace dfq {

// PyTorch's ReduceLROnPlateau in mode "min" with a relative threshold: a loss counts as an
// improvement when it is below best * (1 - threshold); after more than `patience` steps
// without one the rate is multiplied by `factor` (not below `min_lr`) and the count restarts.
class PlateauScheduler {
 public:
  PlateauScheduler(double lr, int64_t patience, double factor = 0.1, double min_lr = 0.0, double threshold = 1e-4);
  // Records one loss; returns the learning rate to use next.
  double step(double loss);
  double lr() const { return lr_; }
  int64_t reductions() const { return reductions_; }

 private:
  double lr_, factor_, min_lr_, threshold_;
  int64_t patience_, bad_ = 0, reductions_ = 0;
  double best_;
};

struct SynthesisOptions {
  int64_t iterations = 500;
  double lr = 0.5;
  int64_t patience = 100;
  double min_lr = 1e-4;
};

// Optimises `x` (made a leaf that requires grad) to minimise loss(x, iteration); `step` is
// called after every iteration with the loss value. Returns the last loss.
double optimise_images(torch::Tensor& x, const SynthesisOptions& options,
                       const std::function<torch::Tensor(const torch::Tensor&, int64_t)>& loss,
                       const std::function<void(int64_t, double)>& step = nullptr);

}  // namespace dfq
