// Top-k accuracy of a classifier over an in-memory image set.
#pragma once
#include <torch/torch.h>

#include <functional>

#include "core/data/dataset.h"

namespace dfq {

struct Accuracy {
  double top1 = 0;  // percent
  double top5 = 0;  // percent
  int64_t n = 0;
};

using Forward = std::function<torch::Tensor(const torch::Tensor&)>;

// Evaluation batch. Measured (benchmarks/dfq_bench.cpp, BM_EvaluateStudent): a
// fake-quantized ResNet-20 on 1x28x28 runs at 2,640 images/s at batch 128 and 545 at
// batch 500 on 2 cores (the element-wise quantizer passes fall out of cache).
constexpr int64_t kEvalBatch = 128;

// Logits of every image of `set` in order, from `forward` under no_grad on batches.
torch::Tensor logits_of(const Forward& forward, const ImageSet& set, const DatasetInfo& info,
                        int64_t batch_size = kEvalBatch, torch::Device device = torch::kCPU);

// Top-1/top-5 of logits [N, C] against labels [N].
Accuracy accuracy_of(const torch::Tensor& logits, const torch::Tensor& labels);

// Runs `forward` under no_grad on batches of `set` (normalised with `info`).
Accuracy evaluate(const Forward& forward, const ImageSet& set, const DatasetInfo& info,
                  int64_t batch_size = kEvalBatch, torch::Device device = torch::kCPU);

// Number of rows whose target is among the top-k logits.
int64_t count_topk(const torch::Tensor& logits, const torch::Tensor& targets, int64_t k);

}  // namespace dfq
