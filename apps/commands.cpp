#include "apps/commands.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "apps/runner.h"
#include "apps/sweep.h"
#include "reports/check.h"
#include "reports/report.h"
#include "core/data/dataset.h"
#include "core/util/interrupt.h"
#include "methods/registry.h"
#include "core/store/run_store.h"
#include "core/util/atomic_file.h"
#include "core/util/env.h"
#include "core/util/error.h"
#include "core/util/suite.h"
#include "core/util/progress.h"
#include "core/util/rng.h"
#include "models/teacher.h"
#include "models/zoo.h"

namespace dfq {
namespace {

void ensure_parent_dir(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return;
  std::string dir = path.substr(0, slash), cur;
  for (size_t i = 0; i < dir.size(); ++i) {
    cur += dir[i];
    if (dir[i] == '/' || i + 1 == dir.size()) mkdir(cur.c_str(), 0755);
  }
}

int cmd_data(const std::string& root) {
  fmt::print("{:<14} {:<9} {:<48} {}\n", "dataset", "status", "location", "shape");
  for (const auto& name : dataset_names()) {
    const auto& info = dataset_info(name);
    auto loc = locate_dataset(name, root.empty() ? "" : root);
    std::string status = loc.missing.empty() ? "found" : "missing";
    fmt::print("{:<14} {:<9} {:<48} {}x{}x{}, {} classes\n", name, status, loc.root, info.channels, info.size,
               info.size, info.classes);
    if (!loc.missing.empty()) fmt::print("  -> {}\n", info.how_to_get);
  }
  return 0;
}

int cmd_runs(const GlobalOptions& g, const RunFilter& filter) {
  ensure_parent_dir(g.store);
  RunStore store(g.store);
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

int cmd_list(bool show_config) {
  fmt::print("{:<10} {:<6} {:<10} {:<10} {:<18} {}\n", "method", "year", "generator", "finetunes", "bits", "paper");
  for (const auto& m : method_registry()) {
    fmt::print("{:<10} {:<6} {:<10} {:<10} {:<18} {}\n", m.name, m.year ? std::to_string(m.year) : "-",
               m.needs_generator ? "yes" : "no", m.fine_tunes ? "yes" : "no", fmt::format("{}", fmt::join(m.bits, ",")),
               m.paper);
    if (show_config) {
      fmt::print("    defaults: {}\n", m.defaults.dump());
      for (const auto& [name, sets] : m.presets) fmt::print("    preset {}: {}\n", name, fmt::join(sets, " "));
    }
  }
  return 0;
}

int cmd_run(const GlobalOptions& g, CellRequest req) {
  ensure_parent_dir(g.store);
  RunStore store(g.store);
  install_stop_handlers();
  req.quiet = g.quiet;
  req.cache_dir = g.cache;
  try {
    auto r = run_cell(store, req);
    auto get = [&](const char* k) { return r.metrics.count(k) ? fmt::format("{:.2f}", r.metrics[k]) : "-"; };
    fmt::print("run {} {}: {} W{}A{} {} {} seed {}\n", r.run_id, r.status, req.key.method, req.key.w_bits,
               req.key.a_bits, req.key.model, req.key.dataset, req.key.seed);
    fmt::print("  top-1 (final epoch) {}%  top-5 {}%  val top-1 {}%  val-selected {}%  best-on-test {}% "
               "(optimistic)  teacher {}%  {} s\n",
               get("top1"), get("top5"), get("top1_val"), get("top1_val_selected"), get("top1_best_test"),
               get("fp_top1"), get("train_seconds"));
    if (r.metrics.count("int8_top1"))
      fmt::print("  int8 kernels: top-1 {}%  batch 64 {} ms (fp32 teacher {} ms, fake-quant {} ms)\n", get("int8_top1"),
                 get("latency_ms_p50_int8_b64"), get("latency_ms_p50_fp32_b64"), get("latency_ms_p50_fakequant_b64"));
    return 0;
  } catch (const InterruptedError&) {
    std::cerr << "dfq: interrupted; the run is recorded as interrupted in " << g.store << "\n";
    return 130;
  }
}

std::vector<BitWidth> parse_bits_list(const std::vector<std::string>& items) {
  std::vector<BitWidth> out;
  for (const auto& i : items) out.push_back(parse_bit_width(i));
  return out;
}

struct ReportCommand {
  std::string suite, metric = "top1", baseline = "gdfq", out, published;
  std::vector<std::string> methods, bits;
  bool print = true;
};

int cmd_report(const GlobalOptions& g, const ReportCommand& rc) {
  if (!std::filesystem::exists(g.store))
    throw MissingFileError(fmt::format("no run store at {}; run `dfq sweep --suite {}` first", g.store, rc.suite));
  RunStore store(g.store);
  ReportOptions o;
  o.suite = rc.suite;
  o.metric = rc.metric;
  o.baseline = rc.baseline;
  o.methods = rc.methods;
  o.bits = parse_bits_list(rc.bits);
  for (const auto& m : method_registry()) o.method_order.push_back(m.name);
  auto published = load_published(rc.published.empty() ? default_published_path() : rc.published);
  auto report = build_report(store, o, published);
  if (report.groups.empty())
    throw InvalidInputError(fmt::format("no finished runs of suite '{}' in {} match; run `dfq sweep --suite {}`",
                                        rc.suite, g.store, rc.suite));
  const auto dir = rc.out.empty() ? (std::filesystem::path(g.store).parent_path() / "reports" / rc.suite).string()
                                  : rc.out;
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    const auto path = (std::filesystem::path(dir) / name).string();
    write_atomically(path, [&](const std::string& tmp) { std::ofstream(tmp) << text; });
    return path;
  };
  const auto md = render_markdown(report);
  write("report.md", md);
  write("report.csv", render_csv(report));
  const auto html = write("report.html", render_html(report));
  for (const auto& grp : report.groups) write(fmt::format("top1-vs-bits-{}-{}.svg", grp.dataset, grp.model),
                                              render_bits_plot(grp, o.metric));
  if (rc.print) fmt::print("{}\n", md);
  fmt::print(stderr, "report of {} runs written to {}/ (report.md, report.csv, {})\n", report.runs, dir,
             std::filesystem::path(html).filename().string());
  return 0;
}

int cmd_check(const GlobalOptions& g, const std::string& suite, const std::string& reference_path, bool write,
              double atol) {
  const auto path = reference_path.empty()
                        ? (std::filesystem::path(source_dir()) / "results" / "reference" / (suite + ".yaml")).string()
                        : reference_path;
  if (!std::filesystem::exists(g.store))
    throw MissingFileError(fmt::format("no run store at {}; run `dfq sweep --suite {}` first", g.store, suite));
  RunStore store(g.store);
  if (write) {
    write_reference(path, reference_from_store(store, suite, atol));
    fmt::print("wrote {} from the newest finished runs of suite '{}'\n", path, suite);
    return 0;
  }
  auto ref = load_reference(path);
  if (ref.suite != suite)
    throw InvalidInputError(fmt::format("{} is the reference of suite '{}', not '{}'", path, ref.suite, suite));
  int regressions = 0, improvements = 0, missing = 0;
  for (const auto& o : check_reference(store, ref)) {
    fmt::print("{}\n", o.describe());
    regressions += o.verdict == Verdict::Regression;
    improvements += o.verdict == Verdict::Improvement;
    missing += o.verdict == Verdict::Missing;
  }
  fmt::print("{} cells: {} regressions, {} improvements, {} missing\n", ref.cells.size(), regressions, improvements,
             missing);
  if (regressions + missing > 0) return 1;
  if (improvements > 0) {
    fmt::print("accuracy improved beyond atol: if intended, update the reference with "
               "`dfq check --suite {} --write {}` and commit it\n", suite, path);
    return 2;
  }
  return 0;
}

}  // namespace

int guarded(const GlobalOptions& g, const std::function<int()>& body) {
  try {
    configure_threads(g.threads);
    ProgressReporter::set_enabled(!g.quiet);
    return body();
  } catch (const Error& e) {
    std::cerr << "dfq: error: " << e.what() << "\n";
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    std::cerr << "dfq: error (LibTorch): " << what.substr(0, what.find('\n')) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "dfq: error: " << e.what() << "\n";
  }
  return 1;
}

void register_commands(CLI::App& app, GlobalOptions& g) {
  // dfq data
  auto* data = app.add_subcommand("data", "list the data sets, where they are looked for and whether they are there");
  static std::string data_root;
  data->add_option("--data-root", data_root, "look in this folder instead of each data set's default");
  data->callback([&g] { std::exit(guarded(g, [] { return cmd_data(data_root); })); });

  // dfq teacher
  auto* teacher = app.add_subcommand("teacher", "train a full-precision teacher and save it to the zoo");
  static TeacherOptions topt;
  static std::string zoo = default_zoo_dir();
  teacher->add_option("--model", topt.model, "architecture")->capture_default_str();
  teacher->add_option("--dataset", topt.dataset, "data set")->capture_default_str();
  teacher->add_option("--data-root", topt.data_root, "data folder (default: the data set's default)");
  teacher->add_option("--epochs", topt.epochs, "training epochs")->capture_default_str();
  teacher->add_option("--batch", topt.batch_size, "batch size")->capture_default_str();
  teacher->add_option("--lr", topt.lr, "initial learning rate (cosine decay)")->capture_default_str();
  teacher->add_option("--wd", topt.weight_decay, "weight decay")->capture_default_str();
  teacher->add_option("--seed", topt.seed, "seed")->capture_default_str();
  teacher->add_option("--zoo", zoo, "zoo folder")->capture_default_str();
  teacher->callback([&g] {
    std::exit(guarded(g, [&g] {
      topt.command = g.command_line;
      auto result = train_teacher(topt);
      save_teacher(result.net, result.manifest, zoo);
      fmt::print("saved {} (test top-1 {:.2f}%, val top-1 {:.2f}%, {:.0f} s)\n",
                 teacher_weights_path(zoo, topt.dataset, topt.model), result.manifest.test_top1,
                 result.manifest.val_top1, result.manifest.seconds);
      return 0;
    }));
  });

  // dfq list
  auto* list = app.add_subcommand("list", "list the registered methods with paper, year and supported bits");
  static bool list_config = false;
  list->add_flag("--config", list_config, "also print each method's default configuration");
  list->callback([&g] { std::exit(guarded(g, [] { return cmd_list(list_config); })); });

  // dfq run
  auto* run = app.add_subcommand("run", "run one method on one cell and record it in the store");
  static CellRequest req;
  req.key.model = "resnet20";
  req.key.dataset = "fashion-mnist";
  req.key.w_bits = 4;
  req.key.a_bits = 4;
  run->add_option("--method", req.key.method, "method (see `dfq list`)")->required();
  run->add_option("--model", req.key.model, "teacher architecture")->capture_default_str();
  run->add_option("--dataset", req.key.dataset, "data set")->capture_default_str();
  run->add_option("--wbits", req.key.w_bits, "weight bits: 2..8, or 32 for float")->capture_default_str();
  run->add_option("--abits", req.key.a_bits, "activation bits: 2..8, or 32 for float")->capture_default_str();
  run->add_option("--seed", req.key.seed, "seed")->capture_default_str();
  run->add_option("--suite", req.key.suite, "suite label recorded with the run")->capture_default_str();
  run->add_option("--preset", req.preset, "a method's named schedule: tiny (2 iterations) or short (minutes)");
  run->add_option("--set", req.overrides, "override a config key: key=value (repeatable; see `dfq list --config`)");
  run->add_option("--data-root", req.data_root, "data folder (default: the data set's default)");
  run->add_option("--zoo", req.zoo, "teacher zoo folder (default: models/zoo)");
  run->callback([&g] { std::exit(guarded(g, [&g] { return cmd_run(g, req); })); });

  // dfq runs
  auto* runs = app.add_subcommand("runs", "list the runs in the store, newest first");
  static RunFilter filter;
  filter.limit = 50;
  runs->add_option("--suite", filter.suite, "only this suite");
  runs->add_option("--method", filter.method, "only this method");
  runs->add_option("--model", filter.model, "only this model");
  runs->add_option("--dataset", filter.dataset, "only this data set");
  runs->add_option("--status", filter.status, "only this status (running, done, failed, interrupted)");
  runs->add_option("--limit", filter.limit, "at most this many rows (0: all)")->capture_default_str();
  runs->callback([&g] { std::exit(guarded(g, [&g] { return cmd_runs(g, filter); })); });

  // dfq sweep / dfq compare
  static SweepOptions sweep;
  static std::vector<std::string> sweep_bits;
  static ReportCommand report;
  auto add_sweep_options = [](CLI::App* cmd) {
    cmd->add_option("--suite", sweep.suite, "suite name (configs/NAME.yaml) or a suite file")->required();
    cmd->add_option("-j,--jobs", sweep.jobs, "worker processes")->capture_default_str();
    cmd->add_option("--threads-per-job", sweep.threads_per_job, "threads per worker (0: cores / jobs)")
        ->capture_default_str();
    cmd->add_option("--methods", sweep.methods, "only these methods (comma-separated)")->delimiter(',');
    cmd->add_option("--bits", sweep_bits, "only these bit-widths: 4 (W4A4) or 4/8 (W4A8), comma-separated")
        ->delimiter(',');
    cmd->add_option("--seeds", sweep.seeds, "only these seeds (comma-separated)")->delimiter(',');
    cmd->add_option("--configs", sweep.configs_dir, "folder of suite files (default: configs/)");
  };
  auto* sw = app.add_subcommand("sweep", "run the missing cells of a suite (skips cells done with the same config)");
  add_sweep_options(sw);
  sw->add_flag("--dry-run", sweep.dry_run, "list the cells that would run, run nothing");
  // Runs the sweep with the global store and cache; 130 when stopped, 1 when a cell failed.
  static auto sweep_exit_code = [](const GlobalOptions& g) {
    sweep.store = g.store;
    sweep.cache = g.cache;
    sweep.bits = parse_bits_list(sweep_bits);
    ensure_parent_dir(g.store);
    try {
      return run_sweep(sweep).failed > 0 ? 1 : 0;
    } catch (const InterruptedError& e) {
      std::cerr << "dfq: " << e.what() << "\n";
      return 130;
    }
  };
  sw->callback([&g] { std::exit(guarded(g, [&g] { return sweep_exit_code(g); })); });

  auto* cmp = app.add_subcommand("compare", "sweep a suite (what is missing), then render its report");
  add_sweep_options(cmp);
  cmp->add_option("--baseline", report.baseline, "method the t-test compares against")->capture_default_str();
  cmp->add_option("--out", report.out, "report folder (default: results/reports/SUITE)");
  cmp->callback([&g] {
    std::exit(guarded(g, [&g] {
      const int swept = sweep_exit_code(g);
      if (swept == 130) return swept;
      report.suite = load_suite(sweep.suite, sweep.configs_dir.empty() ? default_configs_dir() : sweep.configs_dir).name;
      report.methods = sweep.methods;
      report.bits = sweep_bits;
      const int rc = cmd_report(g, report);
      return swept != 0 ? swept : rc;
    }));
  });

  // dfq report
  auto* rep = app.add_subcommand("report", "render a suite's results: Markdown, CSV and HTML with SVG plots");
  rep->add_option("--suite", report.suite, "suite recorded with the runs")->required();
  rep->add_option("--metric", report.metric, "metric in the cells (top1, top1_val_selected, top1_best_test, ...)")
      ->capture_default_str();
  rep->add_option("--baseline", report.baseline, "method the t-test compares against")->capture_default_str();
  rep->add_option("--methods", report.methods, "only these methods (comma-separated)")->delimiter(',');
  rep->add_option("--bits", report.bits, "only these bit-widths (comma-separated)")->delimiter(',');
  rep->add_option("--out", report.out, "report folder (default: results/reports/SUITE)");
  rep->add_option("--published", report.published, "published numbers CSV (default: results/paper/published.csv)");
  rep->callback([&g] { std::exit(guarded(g, [&g] { return cmd_report(g, report); })); });

  // dfq check
  auto* chk = app.add_subcommand("check", "compare a suite's newest results with a reference (the CI accuracy gate)");
  static std::string check_suite, check_ref;
  static bool check_write = false;
  static double check_atol = 1.0;
  chk->add_option("--suite", check_suite, "suite")->required();
  chk->add_option("--reference", check_ref, "reference file (default: results/reference/SUITE.yaml)");
  chk->add_flag("--write", check_write, "write the reference from the store instead of checking");
  chk->add_option("--atol", check_atol, "tolerance written with --write (points of top-1)")->capture_default_str();
  chk->callback([&g] {
    std::exit(guarded(g, [&g] { return cmd_check(g, check_suite, check_ref, check_write, check_atol); }));
  });
}

}  // namespace dfq
