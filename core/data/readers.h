// Readers for the idx (MNIST family, optionally gzip-compressed) and CIFAR binary formats.
#pragma once
#include <string>
#include <vector>

#include "core/data/dataset.h"

namespace dfq {

// idx3 images ([N,1,H,W] uint8) and idx1 labels; ".gz" files are decompressed with zlib.
torch::Tensor read_idx_images(const std::string& path);
torch::Tensor read_idx_labels(const std::string& path);

// CIFAR binary records: `label_bytes` label bytes (1 for CIFAR-10, 2 for CIFAR-100)
// followed by 3072 pixel bytes; `label_index` picks which label byte is the class
// (CIFAR-100: 1 = fine label).
ImageSet read_cifar_binary(const std::vector<std::string>& files, int label_bytes, int label_index);

// Whole file contents, transparently gunzipped when the name ends in ".gz".
std::string read_file_bytes(const std::string& path);

}  // namespace dfq
