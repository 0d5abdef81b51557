// Two image sources one after the other: `first` for iterations before a fractional epoch,
// `then` from it on (IntraQ: a GDFQ generator while the ranges calibrate, then the
// synthetic set).
#pragma once
#include <memory>

#include "methods/train/step.h"

namespace dfq {

class PhasedSource : public ImageSource {
 public:
  PhasedSource(std::unique_ptr<ImageSource> first, std::unique_ptr<ImageSource> then, double switch_epoch)
      : first_(std::move(first)), then_(std::move(then)), switch_epoch_(switch_epoch) {}
  Terms next(StepTensors& st, NetImpl& student, const StepPosition& at) override {
    if (at.fraction < switch_epoch_) return first_->next(st, student, at);
    if (!switched_) {
      first_->finish();
      switched_ = true;
    }
    return then_->next(st, student, at);
  }
  void train() override {
    first_->train();
    then_->train();
  }

 private:
  std::unique_ptr<ImageSource> first_, then_;
  double switch_epoch_;
  bool switched_ = false;
};

}  // namespace dfq
