#include "models/net.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (in format.h before fmt 11)

#include "core/util/error.h"
#include "models/architectures.h"

namespace dfq {

std::vector<std::string> model_names() {
  return {"resnet20", "resnet32", "resnet56", "resnet18", "resnet50", "mobilenetv2", "lenet5"};
}

Net make_model(const ModelSpec& spec) {
  if (spec.in_channels <= 0 || spec.num_classes <= 1 || spec.image_size < 8)
    throw InvalidInputError(fmt::format("bad model shape for {}: {} channels, {} classes, {}px", spec.arch,
                                        spec.in_channels, spec.num_classes, spec.image_size));
  const auto& a = spec.arch;
  if (a == "resnet20") return std::make_shared<CifarResNetImpl>(spec, 20);
  if (a == "resnet32") return std::make_shared<CifarResNetImpl>(spec, 32);
  if (a == "resnet56") return std::make_shared<CifarResNetImpl>(spec, 56);
  if (a == "resnet18") return std::make_shared<ImageNetResNetImpl>(spec, 18);
  if (a == "resnet50") return std::make_shared<ImageNetResNetImpl>(spec, 50);
  if (a == "mobilenetv2") return std::make_shared<MobileNetV2Impl>(spec);
  if (a == "lenet5") return std::make_shared<LeNet5Impl>(spec);
  throw InvalidInputError(fmt::format("unknown model '{}'; valid: {}", a, fmt::join(model_names(), ", ")));
}

void copy_state(const torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard ng;
  auto src_p = from.named_parameters(true);
  auto src_b = from.named_buffers(true);
  for (auto& p : to.named_parameters(true)) {
    const auto* s = src_p.find(p.key());
    if (!s) throw InvalidInputError(fmt::format("copy_state: parameter '{}' missing in source", p.key()));
    p.value().copy_(*s);
  }
  for (auto& b : to.named_buffers(true)) {
    const auto* s = src_b.find(b.key());
    if (!s) throw InvalidInputError(fmt::format("copy_state: buffer '{}' missing in source", b.key()));
    b.value().copy_(*s);
  }
}

Net clone_model(const Net& net) {
  Net copy = make_model(net->spec());
  const auto params = net->parameters();
  if (!params.empty()) copy->to(params.front().device());  // the copy lives where the original does
  copy_state(*net, *copy);
  copy->train(net->is_training());
  return copy;
}

int64_t parameter_count(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters(true)) n += p.numel();
  return n;
}

}  // namespace dfq
