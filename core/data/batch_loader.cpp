#include "core/data/batch_loader.h"

#include "core/util/error.h"
#include "core/util/rng.h"

#include <cmath>

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
  if (prefetch_.valid()) prefetch_.wait();  // decoded for the old order: dropped
  prefetch_ = {};
  prefetch_pos_ = -1;
  epoch_ = epoch;
  pos_ = 0;
  if (shuffle_) {
    order_ = permutation(set_.size(), seed_ * 1000003ULL + static_cast<uint64_t>(epoch));
  } else {
    order_.resize(set_.size());
    for (int64_t i = 0; i < set_.size(); ++i) order_[i] = i;
  }
}

void BatchLoader::seek(int64_t epoch, int64_t position) {
  if (position < 0 || position > set_.size())
    throw InvalidInputError(fmt::format("batch position {} is outside a set of {} images", position, set_.size()));
  start_epoch(epoch);
  pos_ = position;
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

torch::Tensor random_resized_crop_flip(const torch::Tensor& x, double scale_lo, double scale_hi,
                                       torch::Generator& gen) {
  namespace F = torch::nn::functional;
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
  auto u = torch::rand({b, 15}, gen, torch::kFloat64);  // 6 tries x (scale, ratio), offsets, flip
  auto a = u.accessor<double, 2>();
  const double log_lo = std::log(3.0 / 4.0), log_hi = std::log(4.0 / 3.0);
  std::vector<torch::Tensor> out;
  out.reserve(b);
  for (int64_t i = 0; i < b; ++i) {
    int64_t ch = h, cw = w, top = 0, left = 0;
    bool found = false;
    for (int t = 0; t < 6 && !found; ++t) {
      double area = h * w * (scale_lo + (scale_hi - scale_lo) * a[i][2 * t]);
      double ratio = std::exp(log_lo + (log_hi - log_lo) * a[i][2 * t + 1]);
      int64_t cw_t = std::llround(std::sqrt(area * ratio)), ch_t = std::llround(std::sqrt(area / ratio));
      if (cw_t > 0 && ch_t > 0 && cw_t <= w && ch_t <= h) {
        cw = cw_t;
        ch = ch_t;
        found = true;
      }
    }
    if (found) {
      top = std::min<int64_t>(h - ch, static_cast<int64_t>(a[i][12] * (h - ch + 1)));
      left = std::min<int64_t>(w - cw, static_cast<int64_t>(a[i][13] * (w - cw + 1)));
    }
    auto crop = x[i].narrow(1, top, ch).narrow(2, left, cw).unsqueeze(0);
    if (ch != h || cw != w)
      crop = F::interpolate(crop, F::InterpolateFuncOptions()
                                      .size(std::vector<int64_t>{h, w})
                                      .mode(torch::kBilinear)
                                      .align_corners(false));
    if (a[i][14] < 0.5) crop = crop.flip({3});
    out.push_back(crop);
  }
  return torch::cat(out, 0);
}

std::vector<int64_t> BatchLoader::batch_at(int64_t pos) const {
  const int64_t n = set_.size();
  if (pos >= n) return {};
  const int64_t take = std::min(batch_size_, n - pos);
  if (drop_last_ && take < batch_size_) return {};
  return std::vector<int64_t>(order_.begin() + pos, order_.begin() + pos + take);
}

bool BatchLoader::next(Batch& out) {
  const auto idx = batch_at(pos_);
  if (idx.empty()) return false;
  torch::Tensor raw;
  if (prefetch_.valid() && prefetch_pos_ == pos_) {
    raw = prefetch_.get();  // rethrows a decoding error
  } else {
    raw = set_.gather(idx);
  }
  pos_ += static_cast<int64_t>(idx.size());
  if (set_.on_disk()) {
    auto ahead = batch_at(pos_);
    if (!ahead.empty()) {
      const ImageSet& set = set_;
      prefetch_ = std::async(std::launch::async, [&set, ahead = std::move(ahead)] { return set.gather(ahead); });
      prefetch_pos_ = pos_;
    }
  }
  auto sel = torch::tensor(idx, torch::kInt64);
  auto x = normalize_images(raw, info_);
  if (augment_) {
    // Per-batch generator: augmentation is reproducible independent of other draws.
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed_ * 7919ULL + epoch_ * 100003ULL + pos_);
    x = rrc_hi_ > 0 ? random_resized_crop_flip(x, rrc_lo_, rrc_hi_, gen) : crop_flip(x, info_.size / 8, gen);
  }
  out.x = x.to(device_);
  out.y = set_.labels.index_select(0, sel).to(device_);
  return true;
}

}  // namespace dfq
