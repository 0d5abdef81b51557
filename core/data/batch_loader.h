// Mini-batches from an ImageSet: seeded shuffle, optional crop/flip augmentation. A set on disk
// (ImageNet) is decoded batch by batch, the next batch on worker threads while the caller works
// on the current one: at most two batches of pixels are in memory.
#pragma once
#include <future>

#include "core/data/dataset.h"

namespace dfq {

struct Batch {
  torch::Tensor x;  // normalised float [B,C,H,W] on the loader's device
  torch::Tensor y;  // int64 [B]
};

class BatchLoader {
 public:
  // shuffle: a new permutation per epoch from (seed, epoch). augment: random crop
  // with zero padding of size/8 pixels (4 for 32x32, 3 for 28x28) and horizontal flip.
  BatchLoader(const ImageSet& set, const DatasetInfo& info, int64_t batch_size, bool shuffle,
              bool augment, uint64_t seed, torch::Device device = torch::kCPU, bool drop_last = false);
  int64_t batches_per_epoch() const;
  int64_t size() const { return set_.size(); }
  void start_epoch(int64_t epoch);
  bool next(Batch& out);
  // Where the loader is: its epoch and the index of the next batch's first image in that
  // epoch's order. seek() goes back there (the order and the augmentation draws derive from
  // (seed, epoch, position), so the batches that follow are the ones that followed).
  int64_t epoch() const { return epoch_; }
  int64_t position() const { return pos_; }
  void seek(int64_t epoch, int64_t position);
  // Augment with random_resized_crop_flip (area scale in [lo, hi]) instead of pad-crop-flip
  // (IntraQ's stage 2). Only used when `augment` is on.
  void use_resized_crop(double lo, double hi) { rrc_lo_ = lo; rrc_hi_ = hi; }

 private:
  const ImageSet& set_;
  DatasetInfo info_;
  int64_t batch_size_;
  bool shuffle_, augment_, drop_last_;
  uint64_t seed_;
  torch::Device device_;
  std::vector<int64_t> order_;
  int64_t pos_ = 0;
  int64_t epoch_ = 0;
  std::future<torch::Tensor> prefetch_;  // the batch at prefetch_pos_, decoding (sets on disk)
  int64_t prefetch_pos_ = -1;
  // The indices of the batch starting at `pos` (empty at the end).
  std::vector<int64_t> batch_at(int64_t pos) const;
  double rrc_lo_ = 0, rrc_hi_ = 0;
};

// Random crop with zero padding and horizontal flip on a float batch, drawing from `gen`.
torch::Tensor crop_flip(const torch::Tensor& x, int64_t pad, torch::Generator& gen);

// torchvision's RandomResizedCrop (area fraction in [scale_lo, scale_hi], aspect ratio
// log-uniform in [3/4, 4/3]; 6 tries, then the whole image) resized back bilinearly to the
// input size, then a horizontal flip with probability 1/2; per sample. Differentiable in x
// (IntraQ's local object reinforcement optimises images through it).
torch::Tensor random_resized_crop_flip(const torch::Tensor& x, double scale_lo, double scale_hi,
                                       torch::Generator& gen);

}  // namespace dfq
