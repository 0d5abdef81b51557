#include "core/data/image_folder.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>

#include "core/data/jpeg.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace dfq {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// torchvision datasets/folder.py IMG_EXTENSIONS, split into what we decode and what we refuse.
bool is_jpeg_name(const std::string& name) {
  const auto l = lower(name);
  return ends_with(l, ".jpg") || ends_with(l, ".jpeg");
}
bool is_other_image_name(const std::string& name) {
  const auto l = lower(name);
  for (const char* e : {".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"})
    if (ends_with(l, e)) return true;
  return false;
}

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);  // follows symbolic links, as os.scandir's is_dir() does
}

}  // namespace

FolderListing list_image_folder(const std::string& dir) {
  if (!is_dir(dir)) throw MissingFileError(fmt::format("image folder {} not found", dir));
  FolderListing out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (is_dir(e.path())) out.classes.push_back(e.path().filename().string());
  if (ec) throw MissingFileError(fmt::format("cannot list {}: {}", dir, ec.message()));
  std::sort(out.classes.begin(), out.classes.end());
  if (out.classes.empty())
    throw MissingFileError(fmt::format("{} has no class folders (expected {}/<class>/<image>.JPEG)", dir, dir));
  for (size_t label = 0; label < out.classes.size(); ++label) {
    const fs::path class_dir = fs::path(dir) / out.classes[label];
    // os.walk order: folders sorted by path, files sorted by name within each.
    std::vector<std::pair<std::string, std::string>> files;  // (folder relative to dir, name)
    for (fs::recursive_directory_iterator it(class_dir, fs::directory_options::follow_directory_symlink, ec), end;
         !ec && it != end; it.increment(ec)) {
      if (is_dir(it->path())) continue;
      const std::string name = it->path().filename().string();
      if (is_other_image_name(name))
        throw InvalidInputError(fmt::format("{}: this reader decodes JPEG only; convert it (and any other non-JPEG "
                                            "images) to JPEG",
                                            it->path().string()));
      if (!is_jpeg_name(name)) continue;
      files.emplace_back(it->path().parent_path().lexically_relative(dir).string(), name);
    }
    if (ec) throw MissingFileError(fmt::format("cannot list {}: {}", class_dir.string(), ec.message()));
    if (files.empty())
      throw MissingFileError(fmt::format("class folder {} has no JPEG images", class_dir.string()));
    std::sort(files.begin(), files.end());
    for (auto& [folder, name] : files) {
      out.names.push_back(folder + "/" + name);
      out.labels.push_back(static_cast<int64_t>(label));
    }
  }
  return out;
}

ImageSet image_folder_set(const std::string& dir, int resize, int crop, const std::vector<std::string>* classes,
                          std::vector<std::string>* classes_out) {
  FolderListing listing = list_image_folder(dir);
  if (classes && listing.classes != *classes) {
    std::string first;
    for (size_t i = 0; i < std::max(listing.classes.size(), classes->size()); ++i) {
      const std::string a = i < classes->size() ? (*classes)[i] : "(none)";
      const std::string b = i < listing.classes.size() ? listing.classes[i] : "(none)";
      if (a != b) {
        first = fmt::format("class {} is '{}' there and '{}' here", i, a, b);
        break;
      }
    }
    throw CorruptFileError(fmt::format("{} has {} class folders that differ from the training set's {} ({}); both "
                                       "splits need the same class folders, or their labels would differ",
                                       dir, listing.classes.size(), classes->size(), first));
  }
  auto files = std::make_shared<ImageFiles>();
  files->root = dir;
  files->names = std::move(listing.names);  // ImageNet's training set: 1.28 million names, moved once
  files->resize = resize;
  files->crop = crop;
  ImageSet set;
  set.labels = torch::tensor(listing.labels, torch::kInt64);
  set.files = std::move(files);
  if (classes_out) *classes_out = std::move(listing.classes);
  return set;
}

int decode_threads() {
  if (const char* env = std::getenv("DFQ_DECODE_THREADS")) {
    char* end = nullptr;
    long v = std::strtol(env, &end, 10);
    if (end == env || *end != '\0' || v < 1 || v > 256)
      throw InvalidInputError(fmt::format("DFQ_DECODE_THREADS='{}' must be a number of threads from 1 to 256", env));
    return static_cast<int>(v);
  }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

torch::Tensor decode_images(const ImageFiles& files, const std::vector<int64_t>& indices, int threads) {
  const int64_t b = static_cast<int64_t>(indices.size());
  const int64_t crop = files.crop;
  auto out = torch::empty({b, 3, crop, crop}, torch::kUInt8);
  uint8_t* base = out.data_ptr<uint8_t>();
  const int64_t per_image = 3 * crop * crop;
  std::atomic<int64_t> next{0};
  std::mutex error_mu;
  std::exception_ptr error;
  int64_t error_at = b;
  auto work = [&] {
    for (int64_t i = next++; i < b; i = next++) {
      try {
        const auto idx = indices[i];
        if (idx < 0 || idx >= static_cast<int64_t>(files.names.size()))
          throw InvalidInputError(fmt::format("image index {} out of range for {} files", idx, files.names.size()));
        auto img = decode_jpeg_file(files.root + "/" + files.names[idx]);
        img = center_crop(resize_shorter_side(img, files.resize), files.crop);
        to_planar(img, base + i * per_image);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mu);
        if (i < error_at) {  // the first failing file in batch order, whatever the thread timing
          error_at = i;
          error = std::current_exception();
        }
      }
    }
  };
  const int n = static_cast<int>(std::min<int64_t>(threads > 0 ? threads : decode_threads(), std::max<int64_t>(b, 1)));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  return out;
}

}  // namespace dfq
