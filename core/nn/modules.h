// Walking a LibTorch module tree by type (how quantizers and taps are attached).
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dfq {

// Every module of type T in `root`'s tree, in registration (forward) order.
template <typename T>
std::vector<std::pair<std::string, std::shared_ptr<T>>> modules_of(torch::nn::Module& root) {
  std::vector<std::pair<std::string, std::shared_ptr<T>>> out;
  for (const auto& item : root.named_modules()) {
    if (auto m = std::dynamic_pointer_cast<T>(item.value())) out.emplace_back(item.key(), m);
  }
  return out;
}

}  // namespace dfq
