#include "methods/train/step.h"

#include <fmt/format.h>

#include <cmath>

#include "core/util/error.h"

namespace dfq {

void check_finite(const Terms& terms, const StepPosition& at, const char* side) {
  for (const auto& [name, t] : terms) {
    const double v = t.item<double>();
    if (!std::isfinite(v))
      throw NumericalError(fmt::format("loss term '{}/{}' is {} at epoch {}, iteration {}; training stops here", side,
                                       name, v, at.epoch + 1, at.iter + 1));
  }
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& g : opt.param_groups()) {
    if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&g.options())) sgd->lr(lr);
    if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&g.options())) adam->lr(lr);
  }
}

StudentStep::StudentStep(Net student, const Schedule& s, LossFn loss)
    : student_(std::move(student)),
      lr_(s.lr_q),
      loss_(std::move(loss)),
      opt_(student_->parameters(),
           torch::optim::SGDOptions(s.lr_q).momentum(s.momentum).weight_decay(s.weight_decay).nesterov(true)) {}

Terms StudentStep::run(StepTensors& st, const StepPosition& at, bool update) {
  set_lr(opt_, lr_ * at.lr_factor);
  st.x = st.x.detach();
  st.z_p = st.z_p.detach();
  st.targets = st.targets.detach();
  st.z_q = student_->forward(st.x);
  Terms lq = loss_(st);
  check_finite(lq, at, "q");
  if (update) {
    opt_.zero_grad();
    lq.front().second.backward();
    opt_.step();
  }
  return lq;
}

}  // namespace dfq
