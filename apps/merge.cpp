#include "apps/merge.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "core/store/run_store.h"
#include "core/util/error.h"

namespace dfq {
namespace fs = std::filesystem;

MergeSummary merge_stores(const std::vector<std::string>& shards, const std::string& into) {
  if (shards.empty()) throw InvalidInputError("dfq merge: name at least one shard store to merge");
  std::error_code ec;
  for (const auto& shard : shards)
    if (fs::exists(into) && fs::equivalent(shard, into, ec))
      throw InvalidInputError(fmt::format("dfq merge: shard {} is the store it would be merged into", shard));
  RunStore store(into);
  store.verify_integrity();
  MergeSummary sum;
  for (const auto& path : shards) {
    RunStore shard(path, RunStore::Access::ReadOnly);
    shard.verify_integrity();
    const auto origin = fs::absolute(path).lexically_normal().string();
    auto runs = shard.list_runs();
    std::reverse(runs.begin(), runs.end());  // oldest first: merged runs keep their order
    for (const auto& r : runs) {
      if (r.status != "done") {
        ++sum.unfinished;
        continue;
      }
      const auto imported = store.import_run(r, shard.metrics(r.id), shard.curves(r.id), origin);
      ++(imported.added ? sum.added : sum.present);
    }
    ++sum.shards;
  }
  return sum;
}

}  // namespace dfq
