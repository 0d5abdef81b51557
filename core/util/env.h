// Captures where a run happened: source revision, host, library versions, threads.
#pragma once
#include <string>

namespace dfq {

struct Environment {
  std::string git_sha;   // "unknown" outside a git checkout
  bool git_dirty = false;
  std::string host;
  std::string torch_version;
  int threads = 1;
  std::string device;    // "cpu" or "cuda:N"
};

Environment capture_environment();

// Root of the source tree (for the zoo, configs and published tables).
std::string source_dir();

}  // namespace dfq
