// ImageNet's reader: JPEG decoding, the resize-256 / centre-crop-224 transform (against hand
// values and against Pillow, which the official code's torchvision transforms use), the
// image-folder layout and its labels, and the on-disk set streamed through the batch loader.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/data/batch_loader.h"
#include "core/data/dataset.h"
#include "core/data/image_folder.h"
#include "core/data/jpeg.h"
#include "core/util/error.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

RgbImage make_image(int h, int w, int seed) {
  RgbImage img;
  img.height = h;
  img.width = w;
  img.pixels.resize(static_cast<size_t>(h) * w * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c)
        img.pixels[(static_cast<size_t>(y) * w + x) * 3 + c] = static_cast<uint8_t>((x * (c + 1) + y * 2 + 40 * seed) % 256);
  return img;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void mkdirs(const std::string& p) {
  std::filesystem::create_directories(p);
  ASSERT_TRUE(std::filesystem::is_directory(p)) << p;
}

TEST(Jpeg, EncodeDecodeKeepsSizeAndPixelsClose) {
  testing::TempDir dir;
  RgbImage img;
  img.height = 30;
  img.width = 40;
  img.pixels.resize(30 * 40 * 3);
  for (int y = 0; y < 30; ++y)
    for (int x = 0; x < 40; ++x)
      for (int c = 0; c < 3; ++c) img.pixels[(y * 40 + x) * 3 + c] = static_cast<uint8_t>(60 + 2 * x + y + 20 * c);
  write_jpeg_file(dir.file("a.jpg"), img, 100);
  auto back = decode_jpeg_file(dir.file("a.jpg"));
  ASSERT_EQ(back.height, 30);
  ASSERT_EQ(back.width, 40);
  int worst = 0;
  for (size_t i = 0; i < img.pixels.size(); ++i) worst = std::max(worst, std::abs(img.pixels[i] - back.pixels[i]));
  EXPECT_LE(worst, 6);  // a smooth image at quality 100 with 4:2:0 chroma
}

TEST(Jpeg, BrokenFilesNameTheFileAndTheCause) {
  testing::TempDir dir;
  write_jpeg_file(dir.file("whole.jpg"), make_image(64, 64, 1), 90);
  const std::string bytes = read_all(dir.file("whole.jpg"));
  std::ofstream(dir.file("cut.JPEG"), std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  std::ofstream(dir.file("png.JPEG"), std::ios::binary) << std::string("\x89PNG\r\n\x1a\n0000000000", 18);
  std::ofstream(dir.file("empty.JPEG"), std::ios::binary);
  for (const auto& [name, cause] : {std::pair<std::string, std::string>{"cut.JPEG", "broken JPEG"},
                                    {"png.JPEG", "it is a PNG file"},
                                    {"empty.JPEG", "the file is empty"}}) {
    try {
      decode_jpeg_file(dir.file(name));
      ADD_FAILURE() << name << ": expected CorruptFileError";
    } catch (const CorruptFileError& e) {
      EXPECT_NE(std::string(e.what()).find(dir.file(name)), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(cause), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(decode_jpeg_file(dir.file("absent.jpg")), MissingFileError);
}

TEST(Resize, BilinearReductionMatchesHandComputedWeights) {
  // One row 0, 70, 140, 210 halved: Pillow's triangle filter stretched by the scale 2 gives
  // output 0 the taps 0..2 with weights 0.75, 0.75, 0.25 (centre 1.0), so
  // (0*.75 + 70*.75 + 140*.25) / 1.75 = 50, and output 1 taps 1..3 with .25, .75, .75: 160.
  RgbImage in;
  in.height = 1;
  in.width = 4;
  for (int v : {0, 70, 140, 210})
    for (int c = 0; c < 3; ++c) in.pixels.push_back(static_cast<uint8_t>(v));
  auto out = resize_bilinear(in, 1, 2);
  ASSERT_EQ(out.width, 2);
  EXPECT_EQ(out.pixels[0], 50);
  EXPECT_EQ(out.pixels[3], 160);
  // A constant image stays constant at any size.
  RgbImage flat;
  flat.height = 7;
  flat.width = 5;
  flat.pixels.assign(7 * 5 * 3, 91);
  auto big = resize_bilinear(flat, 13, 300);
  for (auto p : big.pixels) ASSERT_EQ(p, 91);
}

TEST(Resize, ShorterSideAndCentreCropFollowTorchvision) {
  auto r = resize_shorter_side(make_image(300, 400, 0), 256);
  EXPECT_EQ(r.height, 256);
  EXPECT_EQ(r.width, 341);  // int(256 * 400 / 300)
  auto t = resize_shorter_side(make_image(500, 333, 0), 256);
  EXPECT_EQ(t.width, 256);
  EXPECT_EQ(t.height, 384);  // int(256 * 500 / 333) = 384.4
  // Crop offsets: round((341 - 224) / 2) = round(58.5) = 58 and round((343 - 224) / 2) =
  // round(59.5) = 60 (half to even, as Python rounds).
  for (const auto& [w, left] : {std::pair<int, int>{341, 58}, {343, 60}, {224, 0}}) {
    RgbImage img;
    img.height = 230;
    img.width = w;
    img.pixels.resize(static_cast<size_t>(230) * w * 3);
    for (int y = 0; y < 230; ++y)
      for (int x = 0; x < w; ++x) {
        img.pixels[(static_cast<size_t>(y) * w + x) * 3 + 0] = static_cast<uint8_t>(x);
        img.pixels[(static_cast<size_t>(y) * w + x) * 3 + 1] = static_cast<uint8_t>(y);
      }
    auto c = center_crop(img, 224);
    ASSERT_EQ(c.width, 224);
    EXPECT_EQ(c.pixels[0], left) << w;     // column of the first pixel
    EXPECT_EQ(c.pixels[1], 3) << w;        // round((230 - 224) / 2) = 3
  }
}

TEST(Resize, DecodeResizeCropEqualsPillowExactly) {
  const std::string python = testing::python_with_pil();
  if (python.empty()) {
    if (std::getenv("CI")) FAIL() << "no python3 with Pillow: install python3-pil (make setup)";
    GTEST_SKIP() << "no python3 with Pillow: install python3-pil (make setup)";
  }
  testing::TempDir dir;
  const std::string cmd =
      python + " " + std::string(DFQ_SOURCE_DIR) + "/tests/core/pillow_reference.py " + dir.path() + " >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream cases(dir.file("cases.txt"));
  int n = 0;
  for (std::string name; std::getline(cases, name);) {
    if (name.empty()) continue;
    ++n;
    auto img = center_crop(resize_shorter_side(decode_jpeg_file(dir.file(name + ".jpg")), 256), 224);
    const std::string ref = read_all(dir.file(name + ".rgb"));
    ASSERT_EQ(ref.size(), img.pixels.size()) << name;
    int differ = 0, worst = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
      const int d = std::abs(static_cast<int>(static_cast<uint8_t>(ref[i])) - img.pixels[i]);
      differ += d != 0;
      worst = std::max(worst, d);
    }
    EXPECT_EQ(differ, 0) << name << ": " << differ << " of " << ref.size() << " values differ, by up to " << worst;
  }
  EXPECT_EQ(n, 7);
}

// train/ and val/ with classes b_cls, a_cls (sorted: a_cls = 0) and a nested sub-folder.
void write_tree(const std::string& root, int per_class) {
  for (const std::string split : {"train", "val"})
    for (const std::string cls : {"n02_b", "n01_a"}) {
      const std::string d = root + "/" + split + "/" + cls;
      mkdirs(d + "/extra");
      for (int i = 0; i < per_class; ++i)
        write_jpeg_file(d + "/img" + std::to_string(i) + ".JPEG", make_image(40 + i, 50, i + (cls == "n02_b" ? 3 : 0)));
      write_jpeg_file(d + "/extra/deep.jpg", make_image(33, 33, 9));
      std::ofstream(d + "/notes.txt") << "ignored";
    }
}

TEST(ImageFolder, ListsClassesAndFilesInTorchvisionOrder) {
  testing::TempDir dir;
  write_tree(dir.path(), 3);
  auto l = list_image_folder(dir.file("train"));
  ASSERT_EQ(l.classes, (std::vector<std::string>{"n01_a", "n02_b"}));
  // os.walk order: the class folder's files, then its sub-folders'.
  ASSERT_EQ(l.names.size(), 8u);
  EXPECT_EQ(l.names[0], "n01_a/img0.JPEG");
  EXPECT_EQ(l.names[3], "n01_a/extra/deep.jpg");
  EXPECT_EQ(l.names[4], "n02_b/img0.JPEG");
  EXPECT_EQ(l.labels, (std::vector<int64_t>{0, 0, 0, 0, 1, 1, 1, 1}));
}

TEST(ImageFolder, BadLayoutsSayWhatIsWrong) {
  testing::TempDir dir;
  write_tree(dir.path(), 1);
  EXPECT_THROW(list_image_folder(dir.file("nothing")), MissingFileError);
  mkdirs(dir.file("train/n03_empty"));
  try {
    list_image_folder(dir.file("train"));
    FAIL() << "expected MissingFileError";
  } catch (const MissingFileError& e) {
    EXPECT_NE(std::string(e.what()).find("n03_empty has no JPEG images"), std::string::npos) << e.what();
  }
  // The same extra class in train but not val: labels would differ, so loading refuses.
  write_jpeg_file(dir.file("train/n03_empty/x.jpg"), make_image(40, 40, 0));
  try {
    load_dataset("imagenet", dir.path());
    FAIL() << "expected CorruptFileError";
  } catch (const CorruptFileError& e) {
    EXPECT_NE(std::string(e.what()).find("class 2 is 'n03_empty' there and '(none)' here"), std::string::npos)
        << e.what();
  }
  std::ofstream(dir.file("val/n01_a/scan.png")) << "x";
  try {
    list_image_folder(dir.file("val"));
    FAIL() << "expected InvalidInputError";
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("scan.png: this reader decodes JPEG only"), std::string::npos) << e.what();
  }
}

TEST(ImageFolder, ImagenetLoadsOnDiskWithSplitAndLabels) {
  testing::TempDir dir;
  write_tree(dir.path(), 9);  // 20 training images: a validation split of a tenth
  auto d = load_dataset("imagenet", dir.path());
  EXPECT_EQ(d.info.size, 224);
  ASSERT_TRUE(d.train.on_disk());
  EXPECT_FALSE(d.train.images.defined());  // no pixels held
  EXPECT_EQ(d.train.size(), 18);
  EXPECT_EQ(d.val.size(), 2);
  EXPECT_EQ(d.test.size(), 20);
  EXPECT_EQ(d.test.labels[0].item<int64_t>(), 0);
  EXPECT_EQ(d.test.labels[19].item<int64_t>(), 1);
  // An image comes out as its resize + crop, in the set's order.
  auto x = d.test.gather({12});
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{1, 3, 224, 224}));
  auto expect = center_crop(resize_shorter_side(decode_jpeg_file(dir.file("val/n02_b/img2.JPEG")), 256), 224);
  std::vector<uint8_t> planar(3 * 224 * 224);
  to_planar(expect, planar.data());
  EXPECT_TRUE(torch::equal(x[0], torch::from_blob(planar.data(), {3, 224, 224}, torch::kUInt8)));
}

TEST(ImageFolder, StreamedBatchesEqualInMemoryOnesOnAnyThreadCount) {
  testing::TempDir dir;
  write_tree(dir.path(), 6);
  auto disk = image_folder_set(dir.file("train"), 256, 224);
  std::vector<int64_t> all(static_cast<size_t>(disk.size()));
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  const auto one_thread = decode_images(*disk.files, all, 1);
  EXPECT_TRUE(torch::equal(one_thread, decode_images(*disk.files, all, 5)));
  ImageSet memory{one_thread, disk.labels};
  const auto& info = dataset_info("imagenet");
  // Shuffled, two epochs (the prefetched batch of an abandoned epoch is dropped), short last batch.
  BatchLoader a(disk, info, 4, /*shuffle=*/true, /*augment=*/false, 3), b(memory, info, 4, true, false, 3);
  Batch ba, bb;
  ASSERT_TRUE(a.next(ba));
  a.start_epoch(1);
  b.start_epoch(1);
  int batches = 0;
  while (a.next(ba)) {
    ASSERT_TRUE(b.next(bb));
    EXPECT_TRUE(torch::equal(ba.x, bb.x)) << batches;
    EXPECT_TRUE(torch::equal(ba.y, bb.y)) << batches;
    ++batches;
  }
  EXPECT_FALSE(b.next(bb));
  EXPECT_EQ(batches, 4);  // 14 images in batches of 4
}

TEST(ImageFolder, ADecodingErrorReachesTheCaller) {
  testing::TempDir dir;
  write_tree(dir.path(), 4);
  std::ofstream(dir.file("train/n02_b/img2.JPEG"), std::ios::binary | std::ios::trunc) << "not a jpeg";
  auto set = image_folder_set(dir.file("train"), 256, 224);
  BatchLoader loader(set, dataset_info("imagenet"), 3, false, false, 0);
  Batch b;
  try {
    while (loader.next(b)) {
    }
    FAIL() << "expected CorruptFileError";
  } catch (const CorruptFileError& e) {
    EXPECT_NE(std::string(e.what()).find("n02_b/img2.JPEG is not a readable JPEG"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dfq
