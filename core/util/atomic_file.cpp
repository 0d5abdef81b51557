#include "core/util/atomic_file.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/util/error.h"

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

void check_written(std::ostream& out, const std::string& path) {
  const int saved = errno;
  out.flush();
  if (!out) throw Error(fmt::format("cannot write {}: {}", path, std::strerror(errno ? errno : saved)));
}

void write_text_atomically(const std::string& path, const std::string& text) {
  write_atomically(path, [&](const std::string& tmp) {
    errno = 0;
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw Error(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
    out << text;
    check_written(out, path);
    out.close();
    if (out.fail()) throw Error(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  });
}

}  // namespace dfq
