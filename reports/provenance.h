// How a report's numbers were obtained: the store they were read from, how many runs, and
// what those runs recorded about themselves (checkouts and build commits, machines and
// processors, LibTorch versions, devices, thread counts, Slurm jobs, first start and last
// end). Every report (Markdown, HTML, JSON, the study) carries this block. It is built
// from the runs alone, so re-rendering one store gives the same block.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/store/run_store.h"

namespace dfq {

struct Provenance {
  std::string store;
  int64_t runs = 0;
  // Each list is sorted and holds each value once; "" values are left out.
  std::vector<std::string> checkouts;      // git_sha, "+dirty" appended for a modified tree
  std::vector<std::string> build_commits;  // the commits the binaries were built from
  std::vector<std::string> hosts, cpus, torch_versions, devices;
  std::vector<int> threads;
  int64_t slurm_runs = 0, merged_runs = 0;  // runs that ran in a Slurm job; runs copied in by dfq merge
  std::string first_start, last_end;        // UTC, ISO 8601
};

Provenance collect_provenance(const std::string& store_path, const std::vector<RunRecord>& runs);

std::string render_provenance_markdown(const Provenance& p);
std::string render_provenance_html(const Provenance& p);
nlohmann::json provenance_json(const Provenance& p);

}  // namespace dfq
