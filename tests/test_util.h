// Helpers shared by tests: temporary folders that clean up after themselves.
#pragma once
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace dfq::testing {

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
