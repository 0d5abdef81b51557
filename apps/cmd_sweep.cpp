// dfq sweep: the missing cells of a suite in worker processes; dfq compare: sweep, then
// report.
#include <memory>

#include "apps/commands.h"
#include "apps/sweep.h"
#include "core/config/suite.h"

namespace dfq {
namespace {

struct SweepCommand {
  SweepOptions options;
  std::vector<std::string> bits;
  ReportCommand report;
};

void add_sweep_options(CLI::App* cmd, SweepCommand& c) {
  auto& o = c.options;
  cmd->add_option("--suite", o.suite, "suite name (configs/NAME.yaml) or a suite file")->required();
  cmd->add_option("-j,--jobs", o.jobs, "worker processes")->capture_default_str();
  cmd->add_option("--threads-per-job", o.threads_per_job, "threads per worker (0: cores / jobs)")->capture_default_str();
  cmd->add_option("--methods", o.methods, "only these methods (comma-separated)")->delimiter(',');
  cmd->add_option("--bits", c.bits, "only these bit-widths: 4 (W4A4) or 4/8 (W4A8), comma-separated")->delimiter(',');
  cmd->add_option("--seeds", o.seeds, "only these seeds (comma-separated)")->delimiter(',');
  cmd->add_option("--variants", o.variants, "only these of the suite's variants (comma-separated)")->delimiter(',');
  cmd->add_option("--rates", o.rates,
                  "with --dry-run: YAML method -> measured ms per iteration (e.g. results/bench/h100-iteration-ms.yaml) "
                  "for time estimates");
  cmd->add_option("--data-root", o.data_root, "data folder instead of the suite's data_root");
  cmd->add_option("--zoo", o.zoo, "teacher zoo folder instead of the suite's zoo");
  cmd->add_flag("--smoke", o.smoke,
                "smoke scale: every method's tiny preset after the suite's settings, recorded as suite NAME-smoke "
                "(checks that the suite runs; its numbers mean nothing)");
  cmd->add_option("--configs", o.configs_dir, "folder of suite files (default: configs/)");
  cmd->add_option("--stall-after", o.stall_seconds,
                  "seconds a worker may write nothing before the sweep reports it (workers write progress at least "
                  "every 10 s while training)")
      ->check(CLI::Range(10.0, 1e7))
      ->capture_default_str();
  cmd->add_flag("!--no-measure", o.measure,
                 "skip the latency phase after the training cells (`dfq measure --suite NAME` runs it later)");
  cmd->add_flag("--kill-stalled", o.kill_stalled,
                "kill a worker silent for --stall-after seconds and record its run failed with the reason");
  cmd->add_option("--backend", o.backend,
                  "local: worker processes on this machine; slurm: one job array, one store shard per task, merged "
                  "into --store (see the README's \"Running on a cluster\")")
      ->check(CLI::IsMember({"local", "slurm"}))
      ->capture_default_str();
  auto& so = o.slurm;
  const char* group = "Slurm backend";
  cmd->add_option("--partition", so.partition, "sbatch --partition")->group(group);
  cmd->add_option("--gres", so.gres, "sbatch --gres, e.g. gpu:1")->group(group);
  cmd->add_option("--time", so.time, "sbatch --time per task, e.g. 12:00:00")->group(group);
  cmd->add_option("--account", so.account, "sbatch --account")->group(group);
  cmd->add_option("--cpus-per-task", so.cpus_per_task, "sbatch --cpus-per-task, also each task's LibTorch threads")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--max-parallel", so.max_parallel, "tasks running at once (the %N of --array); 0: no limit")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--cells-per-task", so.cells_per_task, "cells each array task runs, one after another")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--sweep-dir", so.sweep_dir,
                  "the sweep's folder: cells, scripts, shards, task logs (default: STORE's folder/slurm/SUITE; on a "
                  "file system every node sees)")
      ->group(group);
  cmd->add_flag("--emit-only", so.emit_only, "write the job script (path on stdout), do not submit it")->group(group);
  cmd->add_flag("--wait", so.wait, "wait until the array's tasks end, then merge the shards into --store")
      ->group(group);
  cmd->add_option("--poll-seconds", so.poll_seconds, "how often --wait asks squeue")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str()
      ->group(group);
  cmd->footer(suite_keys_help());
}

// Runs the sweep with the global store and cache; 1 when a cell failed. A stop (Ctrl-C)
// throws InterruptedError: exit 130.
int sweep(const GlobalOptions& g, SweepCommand& c) {
  c.options.store = g.store;
  c.options.cache = g.cache;
  c.options.checkpoints = checkpoint_folder(g);
  c.options.device = g.device;
  c.options.bits.clear();
  for (const auto& b : c.bits) c.options.bits.push_back(parse_bit_width(b));
  if (!c.options.dry_run && !c.options.status) ensure_parent_dir(g.store);  // reading creates nothing
  return run_sweep(c.options).failed > 0 ? 1 : 0;
}

}  // namespace

void add_sweep_commands(CLI::App& app, Cli& cli) {
  auto* sw = app.add_subcommand(
      "sweep",
      "run the missing cells of a suite (skips cells done with the same config); Ctrl-C stops it (running cells end "
      "interrupted and resume from their last finished epoch next time), SIGUSR1 drains it (running cells finish, no "
      "further cell starts)");
  auto s = std::make_shared<SweepCommand>();
  add_sweep_options(sw, *s);
  sw->add_flag("--dry-run", s->options.dry_run, "list the cells that would run, run nothing");
  sw->add_flag("--status", s->options.status,
               "each cell's state (done, running, pending, failed with its log, ...) from the store, a Slurm sweep's "
               "shards, squeue and sacct; runs and writes nothing");
  sw->callback([&cli, s] { cli.run([&] { return sweep(cli.global, *s); }); });

  auto* cmp = app.add_subcommand("compare", "sweep a suite (what is missing), then render its report");
  auto c = std::make_shared<SweepCommand>();
  add_sweep_options(cmp, *c);
  cmp->add_option("--baseline", c->report.baseline, "method the t-test compares against")->capture_default_str();
  cmp->add_option("--out", c->report.out, "report folder (default: results/reports/SUITE)");
  cmp->callback([&cli, c] {
    cli.run([&] {
      const int swept = sweep(cli.global, *c);
      const auto& o = c->options;
      c->report.suite = load_suite(o.suite, o.configs_dir.empty() ? default_configs_dir() : o.configs_dir).name;
      c->report.methods = o.methods;
      c->report.bits = c->bits;
      const int rc = render_report(cli.global, c->report);
      return swept != 0 ? swept : rc;
    });
  });
}

}  // namespace dfq
