// Base class of every model in the zoo, the model factory and state copying.
#pragma once
#include <torch/torch.h>

#include "core/quant/int8.h"

#include <string>
#include <vector>

namespace dfq {

struct ModelSpec {
  std::string arch;      // resnet20, resnet32, resnet56, resnet18, resnet50, mobilenetv2, lenet5
  int in_channels = 1;
  int num_classes = 10;
  int image_size = 28;
};

class NetImpl : public torch::nn::Module {
 public:
  explicit NetImpl(ModelSpec spec) : spec_(std::move(spec)) {}
  // Final pooled features [B, F] (before the classifier).
  virtual torch::Tensor features(const torch::Tensor& x) = 0;
  // Classifier on pooled features.
  virtual torch::Tensor head(const torch::Tensor& f) = 0;
  torch::Tensor forward(const torch::Tensor& x) { return head(features(x)); }
  const ModelSpec& spec() const { return spec_; }
  // The model as a real integer model (core/quant/int8.h), from its quantizers' current
  // state; nullptr for an architecture without an integer lowering.
  virtual std::unique_ptr<Int8Model> to_int8(const Int8Options& /*options*/) { return nullptr; }

 private:
  ModelSpec spec_;
};
using Net = std::shared_ptr<NetImpl>;

std::vector<std::string> model_names();
// Throws InvalidInputError listing the valid names.
Net make_model(const ModelSpec& spec);
// Copies parameters and buffers by name; shapes must match.
void copy_state(const torch::nn::Module& from, torch::nn::Module& to);
// Deep copy through the factory (fresh modules, copied state).
Net clone_model(const Net& net);
int64_t parameter_count(const torch::nn::Module& m);

}  // namespace dfq
