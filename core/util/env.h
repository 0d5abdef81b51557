// Captures where a run happened: source revision, host, library versions, threads.
#pragma once
#include <string>

namespace dfq {

struct Environment {
  std::string git_sha;   // the checkout the run starts in; "unknown" outside a git checkout
  bool git_dirty = false;
  std::string build_commit;  // the commit the binary was built from (core/util/build_info.h)
  std::string host;
  std::string torch_version;
  int threads = 1;
  std::string device = "cpu";  // "cpu" or "cuda:N": where the run computed
  // The Slurm job the run ran in: "ARRAYJOB_TASK" for a job-array task, the job id for a
  // plain job, "" outside Slurm (from SLURM_ARRAY_JOB_ID, SLURM_ARRAY_TASK_ID, SLURM_JOB_ID).
  std::string slurm_job;
  std::string cpu;  // the processor's model name, from /proc/cpuinfo ("" where it has none)
};

// The processor's model name ("AMD EPYC 7B13"), as lscpu's "Model name"; "" when unknown.
std::string cpu_model();

// The Slurm job of this process, as Environment::slurm_job.
std::string slurm_job_from_environment();

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
