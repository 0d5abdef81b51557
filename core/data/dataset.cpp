#include "core/data/dataset.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (in format.h before fmt 11)

#include <cstdlib>
#include <filesystem>
#include <limits>

#include "core/data/image_folder.h"
#include "core/data/readers.h"
#include "core/util/env.h"
#include "core/util/error.h"
#include "core/util/rng.h"

namespace dfq {
namespace {

bool file_exists(const std::string& p) {
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec);
}

bool dir_exists(const std::string& p) {
  std::error_code ec;
  return std::filesystem::is_directory(p, ec);
}

// Fashion-MNIST: the Debian package's folder, or DFQ_DATA_ROOT/fashion-mnist where that is set
// (a machine with no apt, e.g. a GPU node given an unpacked package).
std::string fashion_mnist_root() {
  if (const char* env = std::getenv("DFQ_DATA_ROOT")) return std::string(env) + "/fashion-mnist";
  return "/usr/share/datasets/fashion-mnist";
}

std::string user_data_root(const std::string& sub) {
  if (const char* env = std::getenv("DFQ_DATA_ROOT")) return std::string(env) + "/" + sub;
  return source_dir() + "/data/" + sub;
}

const std::vector<DatasetInfo>& registry() {
  static const std::vector<DatasetInfo> infos = {
      {"fashion-mnist", 1, 28, 10, {0.2860}, {0.3530}, fashion_mnist_root(),
       "install it with `apt-get install dataset-fashion-mnist` (or `make setup`)"},
      {"mnist", 1, 28, 10, {0.1307}, {0.3081}, user_data_root("mnist"),
       "put the four MNIST idx files (train-images-idx3-ubyte.gz, ...) there, or pass --data-root"},
      {"cifar10", 3, 32, 10, {0.4914, 0.4822, 0.4465}, {0.2470, 0.2435, 0.2616}, user_data_root("cifar10"),
       "download the binary version (cifar-10-binary.tar.gz, https://www.cs.toronto.edu/~kriz/cifar.html) "
       "on a machine with internet, extract it there (or set DFQ_DATA_ROOT, or pass --data-root)"},
      {"cifar100", 3, 32, 100, {0.5071, 0.4865, 0.4409}, {0.2673, 0.2564, 0.2762}, user_data_root("cifar100"),
       "download the binary version (cifar-100-binary.tar.gz, https://www.cs.toronto.edu/~kriz/cifar.html) "
       "on a machine with internet, extract it there (or set DFQ_DATA_ROOT, or pass --data-root)"},
      // ImageNet's statistics and 224x224 crops as the official code evaluates it (GDFQ's
      // dataloader.py: resize 256, centre crop 224); read from its JPEG folders batch by
      // batch (core/data/image_folder.h).
      {"imagenet", 3, 224, 1000, {0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}, user_data_root("imagenet"),
       "put ILSVRC2012's train/ and val/ folders (one sub-folder of JPEGs per class) there, or pass --data-root"},
  };
  return infos;
}

std::vector<std::string> expected_files(const std::string& name) {
  if (name == "cifar10")
    return {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
            "data_batch_5.bin", "test_batch.bin"};
  if (name == "cifar100") return {"train.bin", "test.bin"};
  if (name == "imagenet") return {"train", "val"};  // folders
  return {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
          "t10k-labels-idx1-ubyte.gz"};
}

// The archives extract into a sub-folder; accept the root itself or that folder.
std::string resolve_root(const std::string& name, const std::string& root) {
  std::vector<std::string> candidates = {root};
  if (name == "cifar10") candidates.push_back(root + "/cifar-10-batches-bin");
  if (name == "cifar100") candidates.push_back(root + "/cifar-100-binary");
  for (const auto& c : candidates)
    if (file_exists(c + "/" + expected_files(name).front())) return c;
  return root;
}

std::string idx_file(const std::string& dir, const std::string& base) {
  // Both the gzipped and the unpacked names are accepted.
  if (file_exists(dir + "/" + base + ".gz")) return dir + "/" + base + ".gz";
  if (file_exists(dir + "/" + base)) return dir + "/" + base;
  return dir + "/" + base + ".gz";
}

}  // namespace

std::vector<std::string> dataset_names() {
  std::vector<std::string> n;
  for (const auto& i : registry()) n.push_back(i.name);
  return n;
}

const DatasetInfo& dataset_info(const std::string& name) {
  for (const auto& i : registry())
    if (i.name == name) return i;
  throw InvalidInputError(fmt::format("unknown data set '{}'; valid: {}", name, fmt::join(dataset_names(), ", ")));
}

ImageSet ImageSet::subset(const std::vector<int64_t>& indices) const {
  auto idx = torch::tensor(indices, torch::kInt64);
  ImageSet out;
  out.labels = labels.index_select(0, idx);
  if (!files) {
    out.images = images.index_select(0, idx);
    return out;
  }
  auto f = std::make_shared<ImageFiles>();
  f->root = files->root;
  f->resize = files->resize;
  f->crop = files->crop;
  f->names.reserve(indices.size());
  for (auto i : indices) f->names.push_back(files->names.at(static_cast<size_t>(i)));
  out.files = std::move(f);
  return out;
}

torch::Tensor ImageSet::gather(const std::vector<int64_t>& indices) const {
  if (files) return decode_images(*files, indices);
  return images.index_select(0, torch::tensor(indices, torch::kInt64));
}

int64_t default_val_size(int64_t train_size) { return std::min<int64_t>(5000, train_size / 10); }

DataLocation locate_dataset(const std::string& name, const std::string& root_in) {
  const auto& info = dataset_info(name);
  DataLocation loc;
  loc.root = resolve_root(name, root_in.empty() ? info.default_root : root_in);
  for (const auto& f : expected_files(name)) {
    std::string p = loc.root + "/" + f;
    if (name == "imagenet") {
      loc.files.push_back(p);
      if (!dir_exists(p)) loc.missing.push_back(p);
      continue;
    }
    if (name != "cifar10" && name != "cifar100") p = idx_file(loc.root, f.substr(0, f.size() - 3));
    loc.files.push_back(p);
    if (!file_exists(p)) loc.missing.push_back(p);
  }
  return loc;
}

DataSplits load_dataset(const std::string& name, const std::string& root, int64_t val_size, uint64_t split_seed) {
  const auto& info = dataset_info(name);
  DataLocation loc = locate_dataset(name, root);
  if (!loc.missing.empty())
    throw MissingFileError(fmt::format("{} not found: missing {} under '{}'; {}", name,
                                       fmt::join(loc.missing, ", "), loc.root, info.how_to_get));
  ImageSet train, test;
  if (name == "imagenet") {
    // Labels are the sorted class-folder names' indices (torchvision's ImageFolder), the
    // order of ILSVRC2012's 1,000 wnids that the pretrained teachers were trained on.
    std::vector<std::string> classes;
    train = image_folder_set(loc.files[0], 256, info.size, nullptr, &classes);
    test = image_folder_set(loc.files[1], 256, info.size, &classes);
    if (static_cast<int>(classes.size()) > info.classes)
      throw CorruptFileError(fmt::format("imagenet under '{}': {} class folders, more than the {} classes of its "
                                         "teachers",
                                         loc.root, classes.size(), info.classes));
  } else if (name == "cifar10") {
    std::vector<std::string> tr(loc.files.begin(), loc.files.begin() + 5);
    train = read_cifar_binary(tr, 1, 0);
    test = read_cifar_binary({loc.files[5]}, 1, 0);
  } else if (name == "cifar100") {
    train = read_cifar_binary({loc.files[0]}, 2, 1);
    test = read_cifar_binary({loc.files[1]}, 2, 1);
  } else {
    train = {read_idx_images(loc.files[0]), read_idx_labels(loc.files[1])};
    test = {read_idx_images(loc.files[2]), read_idx_labels(loc.files[3])};
  }
  for (const ImageSet* s : {&train, &test}) {
    if (s->on_disk()) continue;  // checked when listed
    if (s->images.size(0) != s->labels.size(0))
      throw CorruptFileError(fmt::format("{} under '{}': {} images but {} labels", name, loc.root,
                                         s->images.size(0), s->labels.size(0)));
    if (s->images.size(1) != info.channels || s->images.size(2) != info.size)
      throw CorruptFileError(fmt::format("{} under '{}': images are {}x{}x{}, expected {}x{}x{}", name, loc.root,
                                         s->images.size(1), s->images.size(2), s->images.size(3), info.channels,
                                         info.size, info.size));
    if (s->labels.numel() > 0 && s->labels.max().item<int64_t>() >= info.classes)
      throw CorruptFileError(fmt::format("{} under '{}': label {} out of range for {} classes", name, loc.root,
                                         s->labels.max().item<int64_t>(), info.classes));
  }
  if (val_size == kAutoValSize) val_size = default_val_size(train.size());
  if (val_size < 0 || val_size >= train.size())
    throw InvalidInputError(fmt::format("validation split of {} images does not fit a training set of {}",
                                        val_size, train.size()));
  auto split = split_indices(train.size(), val_size, split_seed);
  DataSplits out;
  out.info = info;
  out.val = train.subset(split.val);
  out.train = train.subset(split.train);
  out.test = test;
  return out;
}

SplitIndices split_indices(int64_t n, int64_t val_size, uint64_t split_seed) {
  auto perm = permutation(n, split_seed);
  SplitIndices s;
  s.val.assign(perm.begin(), perm.begin() + val_size);
  s.train.assign(perm.begin() + val_size, perm.end());
  // Sorted, so only the loader's shuffle decides the training order.
  std::sort(s.val.begin(), s.val.end());
  std::sort(s.train.begin(), s.train.end());
  return s;
}

torch::Tensor normalize_images(const torch::Tensor& u8, const DatasetInfo& info) {
  if (u8.is_floating_point()) return u8.to(torch::kFloat32);  // synthetic images: already normalised
  auto x = u8.to(torch::kFloat32).div_(255.0);
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(x.device());
  auto mean = torch::tensor(info.mean, opts).view({1, -1, 1, 1});
  auto std = torch::tensor(info.std, opts).view({1, -1, 1, 1});
  return x.sub_(mean).div_(std);
}

}  // namespace dfq

namespace dfq {

std::pair<double, double> normalized_range(const DatasetInfo& info) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (size_t c = 0; c < info.mean.size(); ++c) {
    lo = std::min(lo, (0.0 - info.mean[c]) / info.std[c]);
    hi = std::max(hi, (1.0 - info.mean[c]) / info.std[c]);
  }
  return {lo, hi};
}

}  // namespace dfq
