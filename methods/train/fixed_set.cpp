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

void FixedImageSet::save(torch::serialize::OutputArchive& archive) const {
  archive.write("fixed_set_position", torch::tensor({pass_, loader_->epoch(), loader_->position()}, torch::kInt64));
}

void FixedImageSet::load(torch::serialize::InputArchive& archive) {
  torch::Tensor p;
  archive.read("fixed_set_position", p);
  if (p.numel() != 3) throw InvalidInputError("a fixed image set's checkpoint position has 3 values");
  pass_ = p[0].item<int64_t>();
  loader_->seek(p[1].item<int64_t>(), p[2].item<int64_t>());
}

}  // namespace dfq
