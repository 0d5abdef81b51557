// Helpers shared by tests: temporary folders that clean up after themselves.
#pragma once
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace dfq::testing {

// A python3 with PyTorch (Debian's python3-torch, installed by `make setup`), or "": for
// tests that write files with PyTorch itself.
inline std::string python_with(const std::string& module) {
  for (const char* py : {"/usr/bin/python3", "python3"})
    if (std::system((std::string(py) + " -c 'import " + module + "' >/dev/null 2>&1").c_str()) == 0) return py;
  return "";
}
inline std::string python_with_torch() { return python_with("torch"); }
// A python3 with Pillow (Debian's python3-pil): for tests that compare with Pillow's images.
inline std::string python_with_pil() { return python_with("PIL"); }

// The whole file at `path` (empty when it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/dfqtest-XXXXXX";
    const char* made = mkdtemp(tmpl);
    if (!made) throw std::runtime_error("cannot create a temporary folder in /tmp");
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;  // a destructor must not throw: what cannot be removed stays
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A read-only view of `folder` (an existing folder inside `dir`) while the object lives: a
// read-only bind mount at dir/ro when running as root (root writes through permissions),
// the folder itself made 0500 otherwise. path() is "" when root cannot mount here.
class ReadOnlyView {
 public:
  ReadOnlyView(const TempDir& dir, const std::string& folder) : folder_(folder), mount_point_(dir.file("ro")) {
    if (geteuid() == 0) {
      std::filesystem::create_directories(mount_point_);
      mounted_ = std::system(("mount --bind " + folder + " " + mount_point_ + " 2>/dev/null && mount -o "
                              "remount,bind,ro " + mount_point_ + " 2>/dev/null")
                                 .c_str()) == 0;
      if (!mounted_) std::system(("umount " + mount_point_ + " 2>/dev/null").c_str());
      if (mounted_) path_ = mount_point_;
    } else {
      std::filesystem::permissions(folder, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
      path_ = folder;
    }
  }
  ~ReadOnlyView() {
    if (mounted_) {
      std::system(("umount " + mount_point_).c_str());
    } else if (geteuid() != 0) {
      std::filesystem::permissions(folder_, std::filesystem::perms::owner_all);
    }
  }
  const std::string& path() const { return path_; }

 private:
  std::string folder_, mount_point_, path_;
  bool mounted_ = false;
};

}  // namespace dfq::testing
