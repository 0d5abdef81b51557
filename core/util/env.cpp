#include "core/util/env.h"

#include "core/util/build_info.h"

#include <malloc.h>

#include <torch/torch.h>
#include <torch/version.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace dfq {

void configure_allocator() {
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, -1);
}

namespace {

std::string run_command(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 256> buf;
  while (fgets(buf.data(), buf.size(), p)) out += buf.data();
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

std::string source_dir() {
  if (const char* env = std::getenv("DFQ_SOURCE_DIR")) return env;
  return DFQ_SOURCE_DIR;
}

Environment capture_environment(const std::string& device) {
  Environment e;
  const std::string git = "git -C '" + source_dir() + "' ";
  e.git_sha = run_command(git + "rev-parse HEAD 2>/dev/null");
  if (e.git_sha.empty()) e.git_sha = "unknown";
  e.git_dirty = !run_command(git + "status --porcelain --untracked-files=no 2>/dev/null").empty();
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  e.host = host;
  e.torch_version = TORCH_VERSION;
  e.threads = torch::get_num_threads();
  e.device = device;
  e.slurm_job = slurm_job_from_environment();
  e.build_commit = build_commit();
  e.cpu = cpu_model();
  return e;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      return colon == std::string::npos ? "" : line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  return "";
}

std::string slurm_job_from_environment() {
  auto var = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  const auto array_job = var("SLURM_ARRAY_JOB_ID"), task = var("SLURM_ARRAY_TASK_ID");
  if (!array_job.empty() && !task.empty()) return array_job + "_" + task;
  return var("SLURM_JOB_ID");
}

}  // namespace dfq
