// Image data sets, their metadata and normalisation. Small sets (MNIST, CIFAR) are held in
// memory as uint8 tensors; ImageNet is a list of JPEG files decoded batch by batch
// (core/data/image_folder.h), so its memory stays bounded by the batches in flight.
#pragma once
#include <torch/torch.h>

#include <memory>
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

struct ImageFiles;  // core/data/image_folder.h

struct ImageSet {
  torch::Tensor images;  // uint8 [N, C, H, W]; or float, already normalised (synthesised);
                         // undefined when the set is `files`
  torch::Tensor labels;  // int64 [N]
  std::shared_ptr<const ImageFiles> files;  // set: the images are these files, decoded on demand
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
  bool on_disk() const { return files != nullptr; }
  ImageSet subset(const std::vector<int64_t>& indices) const;
  // The images at `indices`, in that order: uint8 [B, C, H, W] (decoded on worker threads when
  // the set is on disk), or float for a synthesised set.
  torch::Tensor gather(const std::vector<int64_t>& indices) const;
};

struct DataSplits {
  DatasetInfo info;
  ImageSet train;  // training images minus the validation split
  ImageSet val;    // held out of the training set, never trained on
  ImageSet test;
};

// The validation split's size when none is asked for: 5,000 images, or a tenth of a training
// set smaller than 50,000 (5,000 for every full data set; small sets made for tests still split).
constexpr int64_t kAutoValSize = -1;
int64_t default_val_size(int64_t train_size);

// Loads a data set from `root` (empty: the data set's default location).
// The validation split is the first `val_size` images of a permutation fixed by
// `split_seed`, so it is identical across runs, methods and machines.
DataSplits load_dataset(const std::string& name, const std::string& root = "",
                        int64_t val_size = kAutoValSize, uint64_t split_seed = 0);

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
