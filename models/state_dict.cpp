#include "models/state_dict.h"

#include <fmt/format.h>

#include <fstream>
#include <iterator>

#include "core/util/error.h"

namespace dfq {

std::map<std::string, torch::Tensor> read_state_dict(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingFileError(fmt::format("no state dict at '{}'", path));
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string how = "write it with scripts/export_pytorchcv.py, i.e. torch.save(dict(model.state_dict()), f)";
  c10::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    throw CorruptFileError(fmt::format("'{}' is not a readable PyTorch state dict ({}); {}", path,
                                       what.substr(0, what.find('\n')), how));
  }
  if (!value.isGenericDict())
    throw CorruptFileError(fmt::format("'{}' holds a {}, not a dict of tensors; {}", path, value.tagKind(), how));
  std::map<std::string, torch::Tensor> out;
  for (const auto& entry : value.toGenericDict()) {
    if (!entry.key().isString() || !entry.value().isTensor())
      throw CorruptFileError(fmt::format("'{}': every entry must map a name to a tensor; {}", path, how));
    out[entry.key().toStringRef()] = entry.value().toTensor();
  }
  if (out.empty()) throw CorruptFileError(fmt::format("'{}' holds an empty dict; {}", path, how));
  return out;
}

}  // namespace dfq
