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
    MergeOptions options;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("shards", a->shards, "stores to copy finished runs from (opened read-only)")->required();
  cmd->add_option("--into", a->into, "the store to copy them into (created if missing)")->required();
  cmd->add_option("--suite", a->options.suite, "copy only this suite's runs (NAME or NAME@VARIANT)");
  cmd->add_option("--as", a->options.as,
                  "record them as this suite (needs --suite): a study's cells reused by a table that runs the same "
                  "configuration, which its sweep then finds done");
  cmd->callback([&cli, a] {
    cli.run([&] {
      ensure_parent_dir(a->into);
      const auto s = merge_stores(a->shards, a->into, a->options);
      fmt::print("merged {} shard(s) into {}: {} run(s) added{}, {} already there, {} unfinished left out{}\n", s.shards,
                 a->into, s.added, a->options.as.empty() ? "" : " as suite " + a->options.as, s.present, s.unfinished,
                 a->options.suite.empty() ? "" : fmt::format(", {} of other suites left out", s.other_suites));
      return 0;
    });
  });
}

}  // namespace dfq
