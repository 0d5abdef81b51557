// Helpers shared by tests: temporary folders that clean up after themselves.
#pragma once
#include <unistd.h>

#include <cstdlib>
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

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/dfqtest-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace dfq::testing
