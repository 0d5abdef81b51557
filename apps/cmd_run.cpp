// dfq run: one cell, recorded in the store. The cell comes from options (resolved here)
// or from a resolved-cell file (--config, what sweep workers run); --print-config prints
// the resolved cell and runs nothing.
#include <fmt/format.h>

#include <memory>

#include "apps/commands.h"
#include "apps/runner.h"
#include "core/util/device.h"
#include "core/util/error.h"
#include "core/util/interrupt.h"

namespace dfq {
namespace {

struct RunCommand {
  CellRequest request;
  std::string config_file;
  int64_t claimed_run = 0;
  bool print_config = false;
};

void print_result(const RunKey& key, const CellResult& r) {
  auto get = [&](const char* k) { return r.metrics.count(k) ? fmt::format("{:.2f}", r.metrics.at(k)) : "-"; };
  fmt::print("run {} {}: {} W{}A{} {} {} seed {}\n", r.run_id, r.status, key.method, key.w_bits, key.a_bits,
             key.model, key.dataset, key.seed);
  fmt::print("  top-1 (final epoch) {}%  top-5 {}%  val top-1 {}%  val-selected {}%  best-on-test {}% "
             "(optimistic)  teacher {}%  {} s\n",
             get("top1"), get("top5"), get("top1_val"), get("top1_val_selected"), get("top1_best_test"),
             get("fp_top1"), get("train_seconds"));
  if (r.metrics.count("resumed_epochs"))
    fmt::print("  resumed after epoch {:.0f} from the checkpoint of an earlier, interrupted run of this cell\n",
               r.metrics.at("resumed_epochs"));
  if (r.metrics.count("diverged_at_epoch"))
    fmt::print("  diverged: a non-finite loss at epoch {:.0f}, iteration {:.0f} ended training; the figures are the "
               "last evaluated epoch's\n",
               r.metrics.at("diverged_at_epoch"), r.metrics.count("diverged_at_iter") ? r.metrics.at("diverged_at_iter") : 0.0);
  if (r.metrics.count("int8_top1"))
    fmt::print("  int8 kernels: top-1 {}%  batch 64 {} ms (fp32 teacher {} ms, fake-quant {} ms)\n", get("int8_top1"),
               get("latency_ms_p50_int8_b64"), get("latency_ms_p50_fp32_b64"), get("latency_ms_p50_fakequant_b64"));
}

int run_command(const GlobalOptions& g, const RunCommand& c) {
  if (c.config_file.empty() && c.request.key.method.empty())
    throw InvalidInputError("dfq run needs --method M (see `dfq list`) or --config FILE (a resolved cell)");
  CellRequest request = c.request;
  if (!g.device.empty()) request.device = g.device;
  ResolvedCell cell = c.config_file.empty() ? resolve_cell(request) : load_resolved_cell(c.config_file);
  if (!c.config_file.empty() && !g.device.empty()) {
    check_device_name(g.device);
    cell.device = g.device;
  }
  if (c.print_config) {
    fmt::print("{}\n", cell.to_json().dump(2));
    return 0;
  }
  ensure_parent_dir(g.store);
  RunStore store(g.store);
  install_stop_handlers();
  print_result(cell.key, run_cell(store, cell, RunFolders{g.cache, checkpoint_folder(g)}, c.claimed_run));
  for (const auto& n : cell.notes) fmt::print("  differs from the official code: {}\n", n);
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app, Cli& cli) {
  auto* cmd = app.add_subcommand("run", "run one method on one cell and record it in the store");
  auto c = std::make_shared<RunCommand>();
  auto& key = c->request.key;
  key.model = "resnet20";
  key.dataset = "fashion-mnist";
  key.w_bits = 4;
  key.a_bits = 4;
  cmd->add_option("--method", key.method, "method (see `dfq list`)");
  cmd->add_option("--model", key.model, "teacher architecture")->capture_default_str();
  cmd->add_option("--dataset", key.dataset, "data set")->capture_default_str();
  cmd->add_option("--wbits", key.w_bits, "weight bits: 2..8, or 32 for float")->capture_default_str();
  cmd->add_option("--abits", key.a_bits, "activation bits: 2..8, or 32 for float")->capture_default_str();
  cmd->add_option("--seed", key.seed, "seed")->capture_default_str();
  cmd->add_option("--suite", key.suite, "suite label recorded with the run")->capture_default_str();
  cmd->add_option("--preset", c->request.preset, "a method's named schedule: tiny (2 iterations) or short (minutes)");
  cmd->add_option("--set", c->request.overrides,
                  "override a setting: key=value (repeatable; `dfq list --config` lists them)");
  cmd->add_option("--data-root", c->request.data_root, "data folder (default: the data set's default)");
  cmd->add_option("--zoo", c->request.zoo, "teacher zoo folder (default: models/zoo)");
  auto* config = cmd->add_option("--config", c->config_file,
                                 "run a resolved cell from this JSON file (as written by --print-config)");
  for (const char* other : {"--method", "--model", "--dataset", "--wbits", "--abits", "--seed", "--suite", "--preset",
                            "--set", "--data-root", "--zoo"})
    config->excludes(cmd->get_option(other));
  cmd->add_option("--claimed-run", c->claimed_run,
                  "with --config: take over this run, which a sweep claimed for the cell, instead of recording a new "
                  "one (what sweep workers do)")
      ->needs(config);
  cmd->add_flag("--print-config", c->print_config, "print the resolved cell as JSON and exit without running");
  cmd->callback([&cli, c] { cli.run([&] { return run_command(cli.global, *c); }); });
}

}  // namespace dfq
