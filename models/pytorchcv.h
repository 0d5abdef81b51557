// pytorchcv's parameter names mapped onto this project's modules. pytorchcv
// (osmr/imgclsmob, pytorch/pytorchcv/models/) holds the pretrained teachers that the
// official AdaSG, GDFQ, Qimera, IntraQ and ZeroQ code load (resnet20_cifar10,
// resnet20_cifar100, ...).
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>

#include "models/net.h"

namespace dfq {

// This project's parameter or buffer name for pytorchcv key `key` of architecture `arch`;
// "" when the key has no counterpart. Throws InvalidInputError for an architecture with no
// pytorchcv mapping.
std::string name_from_pytorchcv(const std::string& arch, const std::string& key);

// Copies a pytorchcv state dict into `net` (every parameter and buffer). Throws
// InvalidInputError naming the first few missing, unexpected or mis-shaped keys; `net` is
// unchanged then.
void load_pytorchcv_state(NetImpl& net, const std::map<std::string, torch::Tensor>& state);

}  // namespace dfq
