// dfq runs: the runs in the store, newest first.
#include <fmt/format.h>

#include <memory>

#include "apps/commands.h"
#include "core/store/run_store.h"

namespace dfq {
namespace {

int list_runs(const GlobalOptions& g, const RunFilter& filter) {
  RunStore store(g.store, RunStore::Access::ReadOnly);  // creates and changes nothing
  store.verify_integrity();
  auto runs = store.list_runs(filter);
  if (runs.empty()) {
    fmt::print("no runs in {}\n", g.store);
    return 0;
  }
  fmt::print("{:>5}  {:<8} {:<10} {:<10} {:<14} {:>5} {:>4}  {:<11} {:>7} {:>7}  {}\n", "id", "suite", "method",
             "model", "dataset", "W/A", "seed", "status", "top1", "val", "started");
  for (const auto& r : runs) {
    auto m = store.metrics(r.id);
    auto get = [&](const char* k) { return m.count(k) ? fmt::format("{:.2f}", m[k]) : std::string("-"); };
    fmt::print("{:>5}  {:<8} {:<10} {:<10} {:<14} {:>5} {:>4}  {:<11} {:>7} {:>7}  {}\n", r.id, r.key.suite,
               r.key.method, r.key.model, r.key.dataset, fmt::format("{}/{}", r.key.w_bits, r.key.a_bits),
               r.key.seed, r.status, get("top1"), get("top1_val"), r.started_at);
  }
  return 0;
}

}  // namespace

void add_runs_command(CLI::App& app, Cli& cli) {
  auto* cmd = app.add_subcommand("runs", "list the runs in the store, newest first");
  auto f = std::make_shared<RunFilter>();
  f->limit = 50;
  cmd->add_option("--suite", f->suite, "only this suite");
  cmd->add_option("--method", f->method, "only this method");
  cmd->add_option("--model", f->model, "only this model");
  cmd->add_option("--dataset", f->dataset, "only this data set");
  cmd->add_option("--status", f->status, "only this status")
      ->check(CLI::IsMember({"running", "done", "failed", "interrupted"}));
  cmd->add_option("--limit", f->limit, "at most this many rows (0: all)")->capture_default_str();
  cmd->callback([&cli, f] { cli.run([&] { return list_runs(cli.global, *f); }); });
}

}  // namespace dfq
