#include "methods/train/fixed_set.h"

#include "core/util/error.h"

namespace dfq {

FixedImageSet::FixedImageSet(const ImageSet& images, const DatasetInfo& info, int64_t batch, NetImpl& teacher,
                             uint64_t seed, torch::Device device, const FixedSetOptions& o)
    : teacher_(teacher), classes_(info.classes) {
  if (images.size() == 0) throw InvalidInputError("no images to train the student on");
  loader_ = std::make_unique<BatchLoader>(images, info, std::min(batch, images.size()), true, o.augment, seed, device,
                                          true);
  if (o.rrc_hi > 0) loader_->use_resized_crop(o.rrc_lo, o.rrc_hi);
}

Terms FixedImageSet::next(StepTensors& st, NetImpl&, const StepPosition&) {
  Batch b;
  if (!loader_->next(b)) {
    loader_->start_epoch(++pass_);
    loader_->next(b);
  }
  st.x = b.x;
  st.y = b.y;
  st.targets = torch::one_hot(st.y, classes_).to(torch::kFloat32);
  torch::NoGradGuard ng;
  st.z_p = teacher_.forward(st.x);
  return {};
}

}  // namespace dfq
