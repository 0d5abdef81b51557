// dfq merge: finished runs of other stores (Slurm shards) copied into one store.
#include <fmt/format.h>

#include <memory>

#include "apps/commands.h"
#include "apps/merge.h"

namespace dfq {

void add_merge_command(CLI::App& app, Cli& cli) {
  auto* cmd = app.add_subcommand(
      "merge",
      "copy the finished runs of SHARD stores (e.g. a Slurm sweep's shards/task-*.sqlite) into --into, with their "
      "curves and metrics; merging a shard twice adds nothing, and a run id that exists with other content is refused");
  struct Args {
    std::vector<std::string> shards;
    std::string into;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("shards", a->shards, "stores to copy finished runs from (opened read-only)")->required();
  cmd->add_option("--into", a->into, "the store to copy them into (created if missing)")->required();
  cmd->callback([&cli, a] {
    cli.run([&] {
      ensure_parent_dir(a->into);
      const auto s = merge_stores(a->shards, a->into);
      fmt::print("merged {} shard(s) into {}: {} run(s) added, {} already there, {} unfinished left out\n", s.shards,
                 a->into, s.added, s.present, s.unfinished);
      return 0;
    });
  });
}

}  // namespace dfq
