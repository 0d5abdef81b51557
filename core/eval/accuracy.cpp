#include "core/eval/accuracy.h"

#include "core/data/batch_loader.h"

namespace dfq {

int64_t count_topk(const torch::Tensor& logits, const torch::Tensor& targets, int64_t k) {
  k = std::min<int64_t>(k, logits.size(1));
  auto top = std::get<1>(logits.topk(k, 1));
  return top.eq(targets.view({-1, 1})).any(1).sum().item<int64_t>();
}

torch::Tensor logits_of(const Forward& forward, const ImageSet& set, const DatasetInfo& info, int64_t batch_size,
                        torch::Device device) {
  torch::NoGradGuard ng;
  BatchLoader loader(set, info, batch_size, /*shuffle=*/false, /*augment=*/false, 0, device);
  Batch b;
  std::vector<torch::Tensor> out;
  while (loader.next(b)) out.push_back(forward(b.x));
  if (out.empty()) return torch::empty({0, 0});
  return torch::cat(out);
}

Accuracy accuracy_of(const torch::Tensor& logits, const torch::Tensor& labels) {
  Accuracy a;
  a.n = labels.size(0);
  if (a.n > 0) {
    a.top1 = 100.0 * count_topk(logits, labels, 1) / a.n;
    a.top5 = 100.0 * count_topk(logits, labels, 5) / a.n;
  }
  return a;
}

Accuracy evaluate(const Forward& forward, const ImageSet& set, const DatasetInfo& info, int64_t batch_size,
                  torch::Device device) {
  if (set.size() == 0) return {};
  return accuracy_of(logits_of(forward, set, info, batch_size, device), set.labels.to(device));
}

}  // namespace dfq
