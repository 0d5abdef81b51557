// Mini-batches from an in-memory ImageSet: seeded shuffle, optional crop/flip augmentation.
#pragma once
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
};

// Random crop with zero padding and horizontal flip on a float batch, drawing from `gen`.
torch::Tensor crop_flip(const torch::Tensor& x, int64_t pad, torch::Generator& gen);

}  // namespace dfq
