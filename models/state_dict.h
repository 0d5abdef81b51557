// Reading a PyTorch state dict: a file written by `torch.save(dict(model.state_dict()), f)`
// (scripts/export_pytorchcv.py writes one), name -> tensor.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>

namespace dfq {

// Throws MissingFileError (no file) or CorruptFileError saying how to write a readable one:
// LibTorch reads a plain dict, not the OrderedDict that `model.state_dict()` returns.
std::map<std::string, torch::Tensor> read_state_dict(const std::string& path);

}  // namespace dfq
