// dfq runs: the runs in the store, newest first.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "apps/commands.h"
#include "core/store/run_store.h"
#include "reports/inspect.h"

namespace dfq {
namespace {

int list_runs(const GlobalOptions& g, const RunFilter& filter, const std::string& format) {
  RunStore store(g.store, RunStore::Access::ReadOnly);  // creates and changes nothing
  store.verify_integrity();
  // `--suite NAME` lists NAME's variants too (runs of `NAME@VARIANT`); `NAME@VARIANT` only that one.
  RunFilter query = filter;
  query.suite.clear();
  query.limit = 0;
  std::vector<RunRecord> runs;
  for (auto& r : store.list_runs(query)) {
    const auto& s = r.key.suite;
    const bool match = filter.suite.empty() || s == filter.suite ||
                       (filter.suite.find('@') == std::string::npos && s.rfind(filter.suite + "@", 0) == 0);
    if (!match) continue;
    if (filter.limit > 0 && static_cast<int64_t>(runs.size()) >= filter.limit) break;
    runs.push_back(std::move(r));
  }
  if (format != "table") {
    std::vector<RunView> views;
    for (const auto& r : runs) views.push_back({r, store.metrics(r.id), {}});
    if (format == "csv") fmt::print("{}", render_runs_list_csv(views));
    else fmt::print("{}\n", runs_list_json(views).dump(2));
    return 0;
  }
  if (runs.empty()) {
    fmt::print("no runs in {}\n", g.store);
    return 0;
  }
  size_t suite_width = 8;
  for (const auto& r : runs) suite_width = std::max(suite_width, r.key.suite.size());
  fmt::print("{:>5}  {:<{}} {:<10} {:<10} {:<14} {:>5} {:>4}  {:<11} {:>7} {:>7}  {}\n", "id", "suite", suite_width,
             "method", "model", "dataset", "W/A", "seed", "status", "top1", "val", "started");
  for (const auto& r : runs) {
    auto m = store.metrics(r.id);
    auto get = [&](const char* k) { return m.count(k) ? fmt::format("{:.2f}", m[k]) : std::string("-"); };
    fmt::print("{:>5}  {:<{}} {:<10} {:<10} {:<14} {:>5} {:>4}  {:<11} {:>7} {:>7}  {}\n", r.id, r.key.suite,
               suite_width, r.key.method, r.key.model, r.key.dataset, fmt::format("{}/{}", r.key.w_bits, r.key.a_bits),
               r.key.seed, r.status, get("top1"), get("top1_val"), r.started_at);
  }
  return 0;
}

}  // namespace

void add_runs_command(CLI::App& app, Cli& cli) {
  auto* cmd = app.add_subcommand("runs", "list the runs in the store, newest first");
  auto f = std::make_shared<RunFilter>();
  f->limit = 50;
  cmd->add_option("--suite", f->suite, "only this suite and its variants (NAME@VARIANT: only that variant)");
  cmd->add_option("--method", f->method, "only this method");
  cmd->add_option("--model", f->model, "only this model");
  cmd->add_option("--dataset", f->dataset, "only this data set");
  cmd->add_option("--status", f->status, "only this status")
      ->check(CLI::IsMember({"running", "done", "failed", "interrupted"}));
  cmd->add_option("--limit", f->limit, "at most this many rows (0: all)")->capture_default_str();
  auto format = std::make_shared<std::string>("table");
  cmd->add_option("--format", *format, "table (for reading), csv (RFC 4180) or json (an array of runs)")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  cmd->callback([&cli, f, format] { cli.run([&] { return list_runs(cli.global, *f, *format); }); });
}

}  // namespace dfq
