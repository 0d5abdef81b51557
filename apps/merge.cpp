#include "apps/merge.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include "core/store/run_store.h"
#include "core/util/error.h"
#include "core/util/paths.h"

namespace dfq {
namespace fs = std::filesystem;

namespace {

// A suite name as runs carry it: NAME or NAME@VARIANT, each part a safe name.
bool is_suite_name(const std::string& name) {
  const auto at = name.find('@');
  if (at == std::string::npos) return is_safe_component(name);
  return is_safe_component(name.substr(0, at)) && is_safe_component(name.substr(at + 1));
}

}  // namespace

MergeSummary merge_stores(const std::vector<std::string>& shards, const std::string& into, const MergeOptions& o) {
  if (shards.empty()) throw InvalidInputError("dfq merge: name at least one shard store to merge");
  if (!o.as.empty() && o.suite.empty())
    throw InvalidInputError("dfq merge: --as needs --suite (which suite's runs to record under the new name)");
  for (const auto* name : {&o.suite, &o.as})
    if (!name->empty() && !is_suite_name(*name))
      throw InvalidInputError(fmt::format("dfq merge: '{}' is not a suite name (NAME or NAME@VARIANT, of letters, "
                                          "digits, '.', '_' and '-')",
                                          *name));
  if (!o.as.empty() && o.as == o.suite)
    throw InvalidInputError(fmt::format("dfq merge: --as {} is the suite's own name", o.as));
  std::error_code ec;
  for (const auto& shard : shards)
    if (fs::exists(into) && fs::equivalent(shard, into, ec))
      throw InvalidInputError(fmt::format("dfq merge: shard {} is the store it would be merged into", shard));
  if (!o.suite.empty()) {  // a misspelt suite fails before the target store is touched
    bool found = false;
    for (const auto& path : shards) {
      const RunStore shard(path, RunStore::Access::ReadOnly);
      for (const auto& r : shard.list_runs()) found = found || r.key.suite == o.suite;
    }
    if (!found)
      throw InvalidInputError(fmt::format("dfq merge: no run of suite '{}' in {} (a study's runs are NAME@VARIANT, "
                                          "as dfq runs lists them)",
                                          o.suite, fmt::join(shards, ", ")));
  }
  RunStore store(into);
  store.verify_integrity();
  MergeSummary sum;
  for (const auto& path : shards) {
    RunStore shard(path, RunStore::Access::ReadOnly);
    shard.verify_integrity();
    std::string origin = fs::absolute(path).lexically_normal().string();
    if (!o.as.empty()) origin += fmt::format(", suite {} as {}", o.suite, o.as);
    auto runs = shard.list_runs();
    std::reverse(runs.begin(), runs.end());  // oldest first: merged runs keep their order
    for (auto r : runs) {
      if (!o.suite.empty() && r.key.suite != o.suite) {
        sum.other_suites += r.status == "done";
        continue;
      }
      if (r.status != "done") {
        ++sum.unfinished;
        continue;
      }
      if (!o.as.empty()) {
        r.key.suite = o.as;
        if (!r.uid.empty()) r.uid += "@" + o.as;
      }
      const auto imported = store.import_run(r, shard.metrics(r.id), shard.curves(r.id), origin);
      ++(imported.added ? sum.added : sum.present);
    }
    ++sum.shards;
  }
  return sum;
}

}  // namespace dfq
