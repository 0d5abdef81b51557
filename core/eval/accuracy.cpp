#include "core/eval/accuracy.h"

#include "core/data/batch_loader.h"

namespace dfq {

int64_t count_topk(const torch::Tensor& logits, const torch::Tensor& targets, int64_t k) {
  k = std::min<int64_t>(k, logits.size(1));
  auto top = std::get<1>(logits.topk(k, 1));
  return top.eq(targets.view({-1, 1})).any(1).sum().item<int64_t>();
}

Accuracy evaluate(const Forward& forward, const ImageSet& set, const DatasetInfo& info, int64_t batch_size,
                  torch::Device device) {
  torch::NoGradGuard ng;
  BatchLoader loader(set, info, batch_size, /*shuffle=*/false, /*augment=*/false, 0, device);
  Batch b;
  int64_t c1 = 0, c5 = 0, n = 0;
  while (loader.next(b)) {
    auto logits = forward(b.x);
    c1 += count_topk(logits, b.y, 1);
    c5 += count_topk(logits, b.y, 5);
    n += b.y.size(0);
  }
  Accuracy a;
  a.n = n;
  if (n > 0) {
    a.top1 = 100.0 * c1 / n;
    a.top5 = 100.0 * c5 / n;
  }
  return a;
}

}  // namespace dfq
