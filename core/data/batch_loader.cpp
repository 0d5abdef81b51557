#include "core/data/batch_loader.h"

#include "core/util/error.h"
#include "core/util/rng.h"

namespace dfq {

BatchLoader::BatchLoader(const ImageSet& set, const DatasetInfo& info, int64_t batch_size, bool shuffle,
                         bool augment, uint64_t seed, torch::Device device, bool drop_last)
    : set_(set), info_(info), batch_size_(batch_size), shuffle_(shuffle), augment_(augment),
      drop_last_(drop_last), seed_(seed), device_(device) {
  if (batch_size <= 0) throw InvalidInputError(fmt::format("batch size must be positive, got {}", batch_size));
  start_epoch(0);
}

int64_t BatchLoader::batches_per_epoch() const {
  int64_t n = set_.size();
  return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

void BatchLoader::start_epoch(int64_t epoch) {
  epoch_ = epoch;
  pos_ = 0;
  if (shuffle_) {
    order_ = permutation(set_.size(), seed_ * 1000003ULL + static_cast<uint64_t>(epoch));
  } else {
    order_.resize(set_.size());
    for (int64_t i = 0; i < set_.size(); ++i) order_[i] = i;
  }
}

torch::Tensor crop_flip(const torch::Tensor& x, int64_t pad, torch::Generator& gen) {
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
  auto padded = torch::constant_pad_nd(x, {pad, pad, pad, pad}, 0.0);
  auto offs = torch::randint(0, 2 * pad + 1, {b, 2}, gen, torch::kInt64);
  auto flips = torch::rand({b}, gen) < 0.5;
  auto out = torch::empty_like(x);
  auto op = offs.accessor<int64_t, 2>();
  auto fp = flips.accessor<bool, 1>();
  for (int64_t i = 0; i < b; ++i) {
    auto crop = padded[i].narrow(1, op[i][0], h).narrow(2, op[i][1], w);
    out[i].copy_(fp[i] ? crop.flip({2}) : crop);
  }
  return out;
}

bool BatchLoader::next(Batch& out) {
  const int64_t n = set_.size();
  if (pos_ >= n) return false;
  int64_t take = std::min(batch_size_, n - pos_);
  if (drop_last_ && take < batch_size_) return false;
  std::vector<int64_t> idx(order_.begin() + pos_, order_.begin() + pos_ + take);
  pos_ += take;
  auto sel = torch::tensor(idx, torch::kInt64);
  auto x = normalize_images(set_.images.index_select(0, sel), info_);
  if (augment_) {
    // Per-batch generator: augmentation is reproducible independent of other draws.
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed_ * 7919ULL + epoch_ * 100003ULL + pos_);
    x = crop_flip(x, info_.size / 8, gen);
  }
  out.x = x.to(device_);
  out.y = set_.labels.index_select(0, sel).to(device_);
  return true;
}

}  // namespace dfq
