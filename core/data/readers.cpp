#include "core/data/readers.h"

#include <zlib.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "core/util/error.h"

namespace dfq {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

uint32_t big_endian_u32(const std::string& b, size_t off) {
  auto u = reinterpret_cast<const unsigned char*>(b.data()) + off;
  return (uint32_t(u[0]) << 24) | (uint32_t(u[1]) << 16) | (uint32_t(u[2]) << 8) | uint32_t(u[3]);
}

}  // namespace

std::string read_file_bytes(const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) throw MissingFileError(fmt::format("file not found: '{}'", path));
  if (!ends_with(path, ".gz")) {
    std::ostringstream ss;
    ss << probe.rdbuf();
    return ss.str();
  }
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw MissingFileError(fmt::format("cannot open '{}'", path));
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) out.append(buf, n);
  int err = 0;
  const char* msg = gzerror(f, &err);
  std::string what = msg ? msg : "";
  gzclose(f);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END))
    throw CorruptFileError(fmt::format("'{}' is not a valid gzip file ({}); delete it and reinstall or re-download it", path, what));
  return out;
}

torch::Tensor read_idx_images(const std::string& path) {
  std::string b = read_file_bytes(path);
  if (b.size() < 16 || big_endian_u32(b, 0) != 0x00000803)
    throw CorruptFileError(fmt::format("'{}' is not an idx3 image file (bad header)", path));
  int64_t n = big_endian_u32(b, 4), h = big_endian_u32(b, 8), w = big_endian_u32(b, 12);
  size_t expect = 16 + size_t(n * h * w);
  if (b.size() != expect)
    throw CorruptFileError(fmt::format("'{}' is truncated or padded: {} bytes, header says {} ({} images of {}x{})",
                                       path, b.size(), expect, n, h, w));
  auto t = torch::empty({n, 1, h, w}, torch::kUInt8);
  std::memcpy(t.data_ptr<uint8_t>(), b.data() + 16, n * h * w);
  return t;
}

torch::Tensor read_idx_labels(const std::string& path) {
  std::string b = read_file_bytes(path);
  if (b.size() < 8 || big_endian_u32(b, 0) != 0x00000801)
    throw CorruptFileError(fmt::format("'{}' is not an idx1 label file (bad header)", path));
  int64_t n = big_endian_u32(b, 4);
  if (b.size() != size_t(8 + n))
    throw CorruptFileError(fmt::format("'{}' is truncated or padded: {} bytes, header says {}", path, b.size(), 8 + n));
  auto t = torch::empty({n}, torch::kUInt8);
  std::memcpy(t.data_ptr<uint8_t>(), b.data() + 8, n);
  return t.to(torch::kInt64);
}

ImageSet read_cifar_binary(const std::vector<std::string>& files, int label_bytes, int label_index) {
  constexpr int64_t kPixels = 3 * 32 * 32;
  const int64_t record = label_bytes + kPixels;
  std::vector<torch::Tensor> images, labels;
  for (const auto& path : files) {
    std::string b = read_file_bytes(path);
    if (b.empty() || b.size() % record != 0)
      throw CorruptFileError(fmt::format("'{}' has {} bytes, not a multiple of the {}-byte CIFAR record; "
                                         "the file is truncated or of the wrong CIFAR variant",
                                         path, b.size(), record));
    int64_t n = b.size() / record;
    auto img = torch::empty({n, 3, 32, 32}, torch::kUInt8);
    auto lab = torch::empty({n}, torch::kInt64);
    auto ip = img.data_ptr<uint8_t>();
    auto lp = lab.data_ptr<int64_t>();
    auto src = reinterpret_cast<const unsigned char*>(b.data());
    for (int64_t i = 0; i < n; ++i) {
      lp[i] = src[i * record + label_index];
      std::memcpy(ip + i * kPixels, src + i * record + label_bytes, kPixels);
    }
    images.push_back(img);
    labels.push_back(lab);
  }
  return {torch::cat(images), torch::cat(labels)};
}

}  // namespace dfq
