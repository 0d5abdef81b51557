#include "methods/train/student_loss.h"

namespace dfq {

const ParamBlock<KdSettings>& KdSettings::block() {
  static const auto block =
      ParamBlock<KdSettings>("student loss")
          .number("kd_temperature", &KdSettings::temperature, Bounds::positive(), "distillation temperature T")
          .number("kd_alpha", &KdSettings::alpha, Bounds::at_least(0), "weight of the distillation term")
          .choice("kd_reduction", &KdSettings::reduction,
                  {{"mean", KDReduction::Mean}, {"batchmean", KDReduction::BatchMean}},
                  "KL reduction: mean (over B x C, GDFQ and Qimera) or batchmean (over B, IntraQ)")
          .number("ce_weight", &KdSettings::ce_weight, Bounds::at_least(0),
                  "weight of the cross-entropy with the generator's labels");
  return block;
}

LossFn kd_ce_student_loss(const KdSettings& k) {
  return [k](const StepTensors& s) -> Terms {
    auto kd = kd_loss(s.z_q, s.z_p, k.temperature, k.alpha, k.reduction);
    auto ce = soft_cross_entropy(s.z_q, s.targets);
    return {{"loss", kd + k.ce_weight * ce}, {"kd", kd}, {"ce", ce}};
  };
}

}  // namespace dfq
