#include "core/data/image_cache.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/sha256.h"

namespace dfq {

namespace fs = std::filesystem;

std::string ImageCache::path(const std::string& key) const { return (fs::path(dir_) / (key + ".pt")).string(); }

bool ImageCache::load(const std::string& key, ImageSet& out) const {
  if (!enabled()) return false;
  const auto p = path(key);
  if (!fs::exists(p)) return false;
  // LibTorch checks no checksum of its archives: a changed byte would load as a changed pixel.
  // The sha256 written beside each entry decides; an entry that fails it is synthesised again.
  const auto sum_path = p + ".sha256";
  std::string expected;
  if (std::ifstream in(sum_path); in) std::getline(in, expected);
  if (expected.empty()) {
    fmt::print(stderr, "cached images {} have no checksum ({} missing: an interrupted write?); synthesising again\n",
               p, sum_path);
    return false;
  }
  if (sha256_file(p) != expected) {
    fmt::print(stderr, "cached images {} do not match their checksum (changed since they were written); "
                       "synthesising again\n", p);
    return false;
  }
  std::vector<torch::Tensor> t;
  try {
    torch::load(t, p);
  } catch (const std::exception& e) {
    throw CorruptFileError(fmt::format("cached images {} cannot be read ({}); delete the file to synthesise again", p,
                                       std::string(e.what()).substr(0, std::string(e.what()).find('\n'))));
  }
  if (t.size() != 2 || t[0].dim() != 4 || t[1].dim() != 1 || t[0].size(0) != t[1].size(0))
    throw CorruptFileError(fmt::format("cached images {} do not hold an [N,C,H,W] image tensor and N labels; "
                                       "delete the file to synthesise again", p));
  out.images = t[0];
  out.labels = t[1];
  return true;
}

void ImageCache::save(const std::string& key, const ImageSet& set) const {
  if (!enabled()) return;
  write_atomically(path(key), [&](const std::string& tmp) {
    torch::save(std::vector<torch::Tensor>{set.images.cpu(), set.labels.cpu()}, tmp);
  });
  // Written after the entry: a kill between the two leaves an entry without a checksum,
  // which load treats as absent.
  write_text_atomically(path(key) + ".sha256", sha256_file(path(key)) + "\n");
}

}  // namespace dfq
