// The image source of methods that train on a fixed set of images: real training images
// (realdata) or images synthesised once before training (intraq, zeroq with finetune).
// Batches are shuffled per pass (seeded), optionally augmented (pad-crop-flip, or random
// resized crop and flip with area in [rrc_lo, rrc_hi]); the teacher's logits under no_grad.
#pragma once
#include <memory>

#include "core/data/batch_loader.h"
#include "methods/train/step.h"

namespace dfq {

struct FixedSetOptions {
  bool augment = false;
  double rrc_lo = 0, rrc_hi = 0;  // rrc_hi > 0: random resized crop instead of pad-crop-flip
};

class FixedImageSet : public ImageSource {
 public:
  // `images` must outlive the source.
  FixedImageSet(const ImageSet& images, const DatasetInfo& info, int64_t batch, NetImpl& teacher, uint64_t seed,
                torch::Device device, const FixedSetOptions& options);
  Terms next(StepTensors& st, NetImpl& student, const StepPosition& at) override;
  // The pass and the position in it.
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

 private:
  NetImpl& teacher_;
  int64_t classes_;
  std::unique_ptr<BatchLoader> loader_;
  int64_t pass_ = 0;
};

}  // namespace dfq
