// `dfq merge SHARD... --into STORE`: copies the finished runs of other stores (the Slurm
// backend's shards, one per task, or any store) into one, with their metrics and curves.
// A run keeps its uid, host, Slurm job and times, and records the shard it came from.
// Merging the same shard twice adds nothing; a run whose uid exists with other content is
// refused before anything of that shard is written.
//
// With a suite named, only that suite's runs are copied; with a new name as well, they are
// recorded under it (a study's cells reused by a table that runs the same configuration:
// the sweep then finds them done). A relabelled run gets its own uid (its uid, '@', the new
// name), so relabelling twice adds nothing, and records where it came from and as what.
#pragma once
#include <string>
#include <vector>

namespace dfq {

struct MergeSummary {
  int shards = 0;
  int added = 0;       // runs copied
  int present = 0;     // already in the store with the same content
  int unfinished = 0;  // running, failed or interrupted runs of the shards: not copied
  int other_suites = 0;  // finished runs of suites other than MergeOptions::suite: not copied
};

struct MergeOptions {
  std::string suite;  // empty: every suite
  std::string as;     // empty: keep the suite; else record the runs of `suite` under this name
};

// Opens each shard read-only (checking its integrity) and `into` for writing.
MergeSummary merge_stores(const std::vector<std::string>& shards, const std::string& into,
                          const MergeOptions& options = {});

}  // namespace dfq
