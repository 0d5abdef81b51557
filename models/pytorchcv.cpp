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

// ResNets (pytorch/pytorchcv/models/resnet_cifar.py CIFARResNet, resnet.py ResNet; both
// with ResUnit = body (ResBlock or ResBottleneck) + identity_conv; common.py ConvBlock is
// `conv` + `bn`): init block (CIFAR: one ConvBlock; ImageNet: ResInitBlock whose ConvBlock
// is `conv`), then features.stage{s}.unit{u}.body.conv{k} and identity_conv, then `output`.
const std::vector<Rule>& resnet_rules() {
  static const std::vector<Rule> rules = {
      {std::regex(R"(^features\.init_block\.(?:conv\.)?conv\.weight$)"), "conv1.weight"},
      {std::regex(R"(^features\.init_block\.(?:conv\.)?bn\.(\w+)$)"), "bn1.$1"},
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

// MobileNetV2 (pytorch/pytorchcv/models/mobilenetv2.py: init_block, stage{s}.unit{u} =
// LinearBottleneck with conv1..conv3 ConvBlocks, final_block, `output` a bias-free 1x1 conv
// that lands on our bias-free linear classifier).
const std::vector<Rule>& mobilenetv2_rules() {
  static const std::vector<Rule> rules = {
      {std::regex(R"(^features\.(init_block|final_block)\.(conv|bn)\.(\w+)$)"), "body.$1.$2.$3"},
      {std::regex(R"(^features\.stage(\d+)\.unit(\d+)\.(conv\d)\.(conv|bn)\.(\w+)$)"),
       "body.stage$1_unit$2.$3.$4.$5"},
      {std::regex(R"(^output\.weight$)"), "fc.weight"},
  };
  return rules;
}

const std::vector<Rule>& rules_for(const std::string& arch) {
  if (arch == "resnet20" || arch == "resnet32" || arch == "resnet56" || arch == "resnet18" || arch == "resnet50")
    return resnet_rules();
  if (arch == "mobilenetv2") return mobilenetv2_rules();
  throw InvalidInputError(fmt::format(
      "no pytorchcv mapping for model '{}'; importable: resnet20, resnet32, resnet56, resnet18, resnet50, mobilenetv2",
      arch));
}

// A 1x1 conv's weight [out, in, 1, 1] fills a linear layer's [out, in].
bool same_but_unit_dims(const torch::Tensor& file, const torch::Tensor& ours) {
  return file.dim() == 4 && ours.dim() == 2 && file.size(2) == 1 && file.size(3) == 1 &&
         file.size(0) == ours.size(0) && file.size(1) == ours.size(1);
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
    } else if (named.insert(name), it->second.sizes() == tensor.sizes()) {
      mapped[name] = tensor;
    } else if (same_but_unit_dims(tensor, it->second)) {
      mapped[name] = tensor.view(it->second.sizes());
    } else {
      misshaped.push_back(fmt::format("{} is {}, {} needs {}", key, shape(tensor), name, shape(it->second)));
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
