#include "core/util/atomic_file.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

namespace dfq {

void write_atomically(const std::string& path, const std::function<void(const std::string& tmp)>& write) {
  namespace fs = std::filesystem;
  const auto parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
  const auto tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  try {
    write(tmp);
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
  fs::rename(tmp, path);
}

}  // namespace dfq
