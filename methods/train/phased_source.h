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
  // Both sources and whether the switch happened (a resumed run past it finishes the first
  // source again: its BNS taps stay off).
  void save(torch::serialize::OutputArchive& archive) const override {
    torch::serialize::OutputArchive a, b;
    first_->save(a);
    then_->save(b);
    archive.write("first", a);
    archive.write("then", b);
    archive.write("switched", torch::tensor(static_cast<int64_t>(switched_)));
  }
  void load(torch::serialize::InputArchive& archive) override {
    torch::serialize::InputArchive a, b;
    torch::Tensor switched;
    archive.read("first", a);
    archive.read("then", b);
    archive.read("switched", switched);
    first_->load(a);
    then_->load(b);
    switched_ = switched.item<int64_t>() != 0;
    if (switched_) first_->finish();
  }

 private:
  std::unique_ptr<ImageSource> first_, then_;
  double switch_epoch_;
  bool switched_ = false;
};

}  // namespace dfq
