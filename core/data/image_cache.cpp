#include "core/data/image_cache.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
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
                                       first_line(e.what())));
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
  const auto p = path(key);
  write_atomically(p, [&](const std::string& tmp) {
    errno = 0;
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw Error(fmt::format("cannot write cached images {}: {}", p, std::strerror(errno)));
    // torch::save to a file name throws from its archive writer's destructor when a write
    // fails (a full disk), which aborts the process with a c10::Error stack. Through a writer
    // function that always reports success the archive never sees the failure; the stream
    // keeps it, and it is checked once the archive is complete.
    int failed_errno = 0;  // the system's reason at the first failed write
    torch::save(std::vector<torch::Tensor>{set.images.cpu(), set.labels.cpu()},
                [&](const void* data, size_t n) -> size_t {
                  if (out) {
                    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
                    if (!out) failed_errno = errno;
                  }
                  return n;
                });
    if (out) {
      out.close();
      if (out.fail()) failed_errno = errno;
    }
    if (!out)
      throw Error(fmt::format("cannot write cached images {}: {}; free space there, or run with --cache ''", p,
                              std::strerror(failed_errno ? failed_errno : EIO)));
  });
  // Written after the entry: a kill between the two leaves an entry without a checksum,
  // which load treats as absent.
  write_text_atomically(path(key) + ".sha256", sha256_file(path(key)) + "\n");
}

}  // namespace dfq
