// GDFQ's student objective, shared by gdfq, qimera, realdata, intraq and zeroq's
// fine-tuning: L_Q = KD(kd_reduction, kd_alpha, kd_temperature) + ce_weight * CE(Q(x), targets).
#pragma once
#include "core/config/params.h"
#include "core/losses/losses.h"
#include "methods/train/step.h"

namespace dfq {

struct KdSettings {
  double temperature = 20.0;
  double alpha = 1.0;
  KDReduction reduction = KDReduction::Mean;
  double ce_weight = 1.0;
  static const ParamBlock<KdSettings>& block();
};

LossFn kd_ce_student_loss(const KdSettings& settings);

}  // namespace dfq
