#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "core/data/batch_loader.h"
#include "core/data/dataset.h"
#include "core/data/readers.h"
#include "core/util/error.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

std::string be32(uint32_t v) {
  return {char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff), char(v & 0xff)};
}

// n CIFAR records; pixel bytes encode (record, position) so the layout can be checked.
std::string cifar_records(int n, int label_bytes, int first_label) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (label_bytes == 2) out += char(i % 20);  // coarse label
    out += char(first_label + i);
    for (int p = 0; p < 3072; ++p) out += char((i * 7 + p) % 251);
  }
  return out;
}

TEST(IdxReader, ReadsGzippedImagesAndLabels) {
  testing::TempDir dir;
  std::string img = be32(0x803) + be32(3) + be32(2) + be32(2);
  for (int i = 0; i < 12; ++i) img += char(i * 10);
  write_gz(dir.file("img.gz"), img);
  write_gz(dir.file("lab.gz"), be32(0x801) + be32(3) + std::string("\x07\x00\x09", 3));
  auto x = read_idx_images(dir.file("img.gz"));
  auto y = read_idx_labels(dir.file("lab.gz"));
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{3, 1, 2, 2}));
  EXPECT_EQ(x[1][0][1][0].item<int>(), 60);  // image 1, row 1, col 0 -> byte 6
  EXPECT_EQ(y[0].item<int64_t>(), 7);
  EXPECT_EQ(y[2].item<int64_t>(), 9);
}

TEST(IdxReader, TruncatedFileNamesTheFile) {
  testing::TempDir dir;
  std::string img = be32(0x803) + be32(3) + be32(2) + be32(2) + std::string(5, '\0');
  write_gz(dir.file("short.gz"), img);
  try {
    read_idx_images(dir.file("short.gz"));
    FAIL() << "expected CorruptFileError";
  } catch (const CorruptFileError& e) {
    EXPECT_NE(std::string(e.what()).find("short.gz"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos);
  }
}

TEST(IdxReader, BrokenGzipIsReported) {
  testing::TempDir dir;
  std::string img = be32(0x803) + be32(100) + be32(28) + be32(28) + std::string(78400, 'x');
  write_gz(dir.file("full.gz"), img);
  std::ifstream in(dir.file("full.gz"), std::ios::binary);
  std::string gz((std::istreambuf_iterator<char>(in)), {});
  write_bytes(dir.file("cut.gz"), gz.substr(0, gz.size() / 2));
  EXPECT_THROW(read_idx_images(dir.file("cut.gz")), CorruptFileError);
}

TEST(CifarReader, Cifar10RecordsAndLayout) {
  testing::TempDir dir;
  write_bytes(dir.file("a.bin"), cifar_records(3, 1, 4));
  write_bytes(dir.file("b.bin"), cifar_records(2, 1, 1));
  auto set = read_cifar_binary({dir.file("a.bin"), dir.file("b.bin")}, 1, 0);
  ASSERT_EQ(set.images.sizes(), (std::vector<int64_t>{5, 3, 32, 32}));
  EXPECT_EQ(set.labels[0].item<int64_t>(), 4);
  EXPECT_EQ(set.labels[2].item<int64_t>(), 6);
  EXPECT_EQ(set.labels[3].item<int64_t>(), 1);
  // Record 1, channel 1 (green), row 0, col 5 -> pixel byte 1024 + 5.
  EXPECT_EQ(set.images[1][1][0][5].item<int>(), (1 * 7 + 1029) % 251);
}

TEST(CifarReader, Cifar100UsesFineLabel) {
  testing::TempDir dir;
  write_bytes(dir.file("train.bin"), cifar_records(4, 2, 50));
  auto set = read_cifar_binary({dir.file("train.bin")}, 2, 1);
  EXPECT_EQ(set.labels[3].item<int64_t>(), 53);
  EXPECT_EQ(set.images[0][0][0][0].item<int>(), 0);
}

TEST(CifarReader, TruncatedFileIsReported) {
  testing::TempDir dir;
  write_bytes(dir.file("bad.bin"), cifar_records(2, 1, 0).substr(0, 5000));
  EXPECT_THROW(read_cifar_binary({dir.file("bad.bin")}, 1, 0), CorruptFileError);
}

TEST(Dataset, Cifar10FolderLoadsWithSplit) {
  testing::TempDir dir;
  std::string sub = dir.path() + "/cifar-10-batches-bin";
  ASSERT_TRUE(std::filesystem::create_directories(sub)) << sub;
  for (int b = 1; b <= 5; ++b) write_bytes(sub + "/data_batch_" + std::to_string(b) + ".bin", cifar_records(4, 1, b));
  write_bytes(sub + "/test_batch.bin", cifar_records(3, 1, 0));
  auto d = load_dataset("cifar10", dir.path(), /*val_size=*/5);
  EXPECT_EQ(d.train.size(), 15);
  EXPECT_EQ(d.val.size(), 5);
  EXPECT_EQ(d.test.size(), 3);
  EXPECT_EQ(d.info.classes, 10);
}

TEST(Dataset, MissingCifarSaysWhatToDo) {
  testing::TempDir dir;
  try {
    load_dataset("cifar100", dir.path());
    FAIL() << "expected MissingFileError";
  } catch (const MissingFileError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("train.bin"), std::string::npos);
    EXPECT_NE(msg.find("cifar-100-binary"), std::string::npos);
  }
}

TEST(Dataset, UnknownNameListsValidOnes) {
  try {
    dataset_info("imagenet21k");
    FAIL();
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("fashion-mnist"), std::string::npos);
  }
}

TEST(FashionMnist, RealFilesSplitDeterministicallyAndDisjointly) {
  auto a = load_dataset("fashion-mnist");
  ASSERT_EQ(a.train.size(), 55000);
  ASSERT_EQ(a.val.size(), 5000);
  ASSERT_EQ(a.test.size(), 10000);
  EXPECT_EQ(a.train.images.sizes(), (std::vector<int64_t>{55000, 1, 28, 28}));
  EXPECT_EQ(a.test.labels.max().item<int64_t>(), 9);
  // Every class appears in the validation split.
  EXPECT_EQ(std::get<0>(at::_unique(a.val.labels)).numel(), 10);
  auto b = load_dataset("fashion-mnist");
  EXPECT_TRUE(torch::equal(a.val.images, b.val.images));
  EXPECT_TRUE(torch::equal(a.train.labels, b.train.labels));
  auto c = load_dataset("fashion-mnist", "", 5000, /*split_seed=*/1);
  EXPECT_FALSE(torch::equal(a.val.images, c.val.images));
}

TEST(Split, DisjointCoveringAndDeterministic) {
  auto s = split_indices(1000, 100, 3);
  ASSERT_EQ(s.val.size(), 100u);
  ASSERT_EQ(s.train.size(), 900u);
  std::vector<int> seen(1000, 0);
  for (auto i : s.val) seen[i]++;
  for (auto i : s.train) seen[i]++;
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(seen[i], 1) << i;
  EXPECT_EQ(split_indices(1000, 100, 3).val, s.val);
  EXPECT_NE(split_indices(1000, 100, 4).val, s.val);
}

TEST(BatchLoader, ShuffleIsSeededAndCoversEveryImage) {
  ImageSet set{torch::arange(40, torch::kUInt8).view({10, 1, 2, 2}), torch::arange(10)};
  DatasetInfo info = dataset_info("fashion-mnist");
  BatchLoader l1(set, info, 4, true, false, 7), l2(set, info, 4, true, false, 7);
  Batch b1, b2;
  std::vector<int64_t> seen;
  while (l1.next(b1)) {
    ASSERT_TRUE(l2.next(b2));
    EXPECT_TRUE(torch::equal(b1.y, b2.y));
    for (int64_t i = 0; i < b1.y.size(0); ++i) seen.push_back(b1.y[i].item<int64_t>());
  }
  std::sort(seen.begin(), seen.end());
  ASSERT_EQ(seen.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(seen[i], i);
  EXPECT_EQ(l1.batches_per_epoch(), 3);
}

TEST(Normalize, AppliesMeanAndStd) {
  auto info = dataset_info("fashion-mnist");
  auto x = normalize_images(torch::full({1, 1, 1, 1}, 255, torch::kUInt8), info);
  EXPECT_NEAR(x.item<double>(), (1.0 - 0.2860) / 0.3530, 1e-5);
}

}  // namespace
}  // namespace dfq
