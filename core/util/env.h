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
  std::string device = "cpu";  // "cpu" or "cuda:N": where the run computed
};

// `device`: where the run computes ("cpu" or "cuda:N").
Environment capture_environment(const std::string& device = "cpu");

// Keeps freed memory in the process: no mmap for large blocks, no trimming of the heap.
// Tensors of a few MiB are allocated and freed on every layer; by default glibc returns
// them to the kernel and takes them back, and each page fault is expensive here (a 3x3
// conv at 64x16x28x28 spends 20 of its 21 ms faulting pages in; BM_Conv3x3Relu).
// Called by configure_threads, i.e. by every program; idempotent.
void configure_allocator();

// Root of the source tree (for the zoo, configs and published tables).
std::string source_dir();

}  // namespace dfq
