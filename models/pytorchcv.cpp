#include "models/pytorchcv.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <regex>
#include <set>
#include <vector>

#include "core/util/error.h"

namespace dfq {
namespace {

struct Rule {
  std::regex from;
  std::string to;  // std::regex_replace format ($1, $2, ...)
};

// CIFAR ResNet-20/32/56 (pytorch/pytorchcv/models/resnet_cifar.py: CIFARResNet with ResUnit
// and ResBlock; ConvBlock from common.py is `conv` + `bn`): init block, then
// features.stage{s}.unit{u}.body.conv{1,2} and identity_conv, then `output`.
const std::vector<Rule>& cifar_resnet_rules() {
  static const std::vector<Rule> rules = {
      {std::regex(R"(^features\.init_block\.conv\.weight$)"), "conv1.weight"},
      {std::regex(R"(^features\.init_block\.bn\.(\w+)$)"), "bn1.$1"},
      {std::regex(R"(^features\.stage(\d+)\.unit(\d+)\.body\.conv(\d)\.conv\.weight$)"),
       "stages.stage$1_unit$2.conv$3.weight"},
      {std::regex(R"(^features\.stage(\d+)\.unit(\d+)\.body\.conv(\d)\.bn\.(\w+)$)"), "stages.stage$1_unit$2.bn$3.$4"},
      {std::regex(R"(^features\.stage(\d+)\.unit(\d+)\.identity_conv\.conv\.weight$)"),
       "stages.stage$1_unit$2.down_conv.weight"},
      {std::regex(R"(^features\.stage(\d+)\.unit(\d+)\.identity_conv\.bn\.(\w+)$)"), "stages.stage$1_unit$2.down_bn.$3"},
      {std::regex(R"(^output\.(weight|bias)$)"), "fc.$1"},
  };
  return rules;
}

const std::vector<Rule>& rules_for(const std::string& arch) {
  if (arch == "resnet20" || arch == "resnet32" || arch == "resnet56") return cifar_resnet_rules();
  throw InvalidInputError(fmt::format("no pytorchcv mapping for model '{}'; importable: resnet20, resnet32, resnet56",
                                      arch));
}

std::string first_few(const std::vector<std::string>& names) {
  const size_t n = std::min<size_t>(names.size(), 4);
  std::string s = fmt::format("{}", fmt::join(names.begin(), names.begin() + n, ", "));
  if (names.size() > n) s += fmt::format(" (and {} more)", names.size() - n);
  return s;
}

// BatchNorm's num_batches_tracked is bookkeeping only: a file without it (older PyTorch) is
// fine, and ours keeps its value.
bool is_batch_count(const std::string& name) {
  const std::string suffix = "num_batches_tracked";
  return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string shape(const torch::Tensor& t) { return fmt::format("[{}]", fmt::join(t.sizes(), "x")); }

}  // namespace

std::string name_from_pytorchcv(const std::string& arch, const std::string& key) {
  for (const auto& r : rules_for(arch))
    if (std::regex_match(key, r.from)) return std::regex_replace(key, r.from, r.to);
  return "";
}

void load_pytorchcv_state(NetImpl& net, const std::map<std::string, torch::Tensor>& state) {
  const std::string arch = net.spec().arch;
  std::map<std::string, torch::Tensor> ours;
  for (const auto& p : net.named_parameters(true)) ours[p.key()] = p.value();
  for (const auto& b : net.named_buffers(true)) ours[b.key()] = b.value();

  std::map<std::string, torch::Tensor> mapped;  // our name -> source tensor
  std::set<std::string> named;                   // our names the file has (mis-shaped too)
  std::vector<std::string> extra, misshaped, missing;
  for (const auto& [key, tensor] : state) {
    const std::string name = name_from_pytorchcv(arch, key);
    auto it = name.empty() ? ours.end() : ours.find(name);
    if (it == ours.end()) {
      extra.push_back(key);
    } else if (named.insert(name), it->second.sizes() != tensor.sizes()) {
      misshaped.push_back(fmt::format("{} is {}, {} needs {}", key, shape(tensor), name, shape(it->second)));
    } else {
      mapped[name] = tensor;
    }
  }
  for (const auto& [name, tensor] : ours)
    if (!named.count(name) && !is_batch_count(name)) missing.push_back(name);
  std::vector<std::string> problems;
  if (!misshaped.empty()) problems.push_back("mis-shaped: " + first_few(misshaped));
  if (!missing.empty()) problems.push_back(fmt::format("missing for {}: {}", arch, first_few(missing)));
  if (!extra.empty()) problems.push_back("not in " + arch + ": " + first_few(extra));
  if (!problems.empty())
    throw InvalidInputError(fmt::format("the state dict does not fit pytorchcv's {} with {} classes: {}", arch,
                                        net.spec().num_classes, fmt::join(problems, "; ")));
  torch::NoGradGuard ng;
  for (const auto& [name, tensor] : mapped) ours.at(name).copy_(tensor.to(ours.at(name).dtype()));
}

}  // namespace dfq
