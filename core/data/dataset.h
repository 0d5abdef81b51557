// Image data sets held in memory as uint8 tensors, their metadata and normalisation.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace dfq {

struct DatasetInfo {
  std::string name;          // "fashion-mnist", "mnist", "cifar10", "cifar100", "imagenet"
  int channels = 1;
  int size = 28;             // square images
  int classes = 10;
  std::vector<double> mean;  // per channel, on [0,1] pixels
  std::vector<double> std;
  std::string default_root;  // where the data is looked for when no root is given
  std::string how_to_get;    // one sentence for error messages
};

// Throws InvalidInputError listing the valid names.
const DatasetInfo& dataset_info(const std::string& name);
std::vector<std::string> dataset_names();

struct ImageSet {
  torch::Tensor images;  // uint8 [N, C, H, W]; or float, already normalised (synthesised)
  torch::Tensor labels;  // int64 [N]
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
  ImageSet subset(const std::vector<int64_t>& indices) const;
};

struct DataSplits {
  DatasetInfo info;
  ImageSet train;  // training images minus the validation split
  ImageSet val;    // held out of the training set, never trained on
  ImageSet test;
};

// Loads a data set from `root` (empty: the data set's default location).
// The validation split is the first `val_size` images of a permutation fixed by
// `split_seed`, so it is identical across runs, methods and machines.
DataSplits load_dataset(const std::string& name, const std::string& root = "",
                        int64_t val_size = 5000, uint64_t split_seed = 0);

// The (train, validation) index split of n training images used by load_dataset.
struct SplitIndices {
  std::vector<int64_t> train, val;  // both sorted
};
SplitIndices split_indices(int64_t n, int64_t val_size, uint64_t split_seed);

// Where the data set would be read from, and whether all its files are there.
struct DataLocation {
  std::string root;
  std::vector<std::string> files;
  std::vector<std::string> missing;
};
DataLocation locate_dataset(const std::string& name, const std::string& root = "");

// uint8 [N,C,H,W] -> normalised float. Float input (synthesised images, which live in the
// normalised space) passes through unchanged.
torch::Tensor normalize_images(const torch::Tensor& u8, const DatasetInfo& info);

// The smallest and largest value a normalised pixel can take, over channels.
std::pair<double, double> normalized_range(const DatasetInfo& info);

}  // namespace dfq
