#include "apps/commands.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <torch/torch.h>

#include <cstdlib>
#include <iostream>

#include "core/data/dataset.h"
#include "core/store/run_store.h"
#include "core/util/error.h"
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
}

}  // namespace dfq
