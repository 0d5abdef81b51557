// The schedule of the trained methods (GDFQ family, realdata, intraq, zeroq with
// finetune): `epochs` x `iters_per_epoch` iterations; Q is not updated before
// `warmup_epochs`; activation ranges update during the first `calib_epochs`; G and Q
// learning rates are multiplied by `lr_gamma` at each of `lr_steps`. All in epochs,
// fractional values allowed, compared with each iteration's fractional epoch.
#pragma once
#include <vector>

#include "core/config/params.h"
#include "core/quant/quantize.h"

namespace dfq {

struct Schedule {
  int64_t epochs = 400;
  int64_t iters_per_epoch = 200;
  int64_t batch_size = 200;
  double lr_q = 1e-4;
  std::vector<double> lr_steps;  // empty: auto
  double lr_gamma = 0.1;
  double warmup_epochs = -1;     // -1: auto
  double calib_epochs = -1;      // -1: auto
  double momentum = 0.9;
  double weight_decay = 1e-4;

  static const ParamBlock<Schedule>& block();

  // The fractional epoch of iteration `it` of `epoch`.
  double position(int64_t epoch, int64_t it) const {
    return epoch + static_cast<double>(it) / static_cast<double>(iters_per_epoch);
  }
  // lr_gamma to the number of lr_steps passed at `position`.
  double lr_factor(double position) const;
  bool calibrating(double position) const { return position < calib_epochs; }
  bool trains_student(double position) const { return position >= warmup_epochs; }
};

// The "auto" values, from the paper's proportions of `epochs` (CIFAR: 4 of 400 warm-up and
// calibration epochs, steps at 100/200/300 of 400), in fractional epochs, so that
// `--set epochs=2` stays a faithful miniature. The official tracker gets at least the
// ~200 calibration iterations it needs, and warm-up lasts at least as long as
// calibration (training Q while the official ranges still settle ruins it).
void resolve_schedule(Schedule& s, const QuantConfig& quant);
// Cross-key checks of a resolved schedule.
void validate_schedule(const Schedule& s, const QuantConfig& quant);

}  // namespace dfq
