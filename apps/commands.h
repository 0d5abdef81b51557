// The subcommands of `dfq`, one source file each (apps/cmd_*.cpp). Each adds itself to the
// CLI11 app with its own options; its callback runs the command and sets the exit code.
// Errors are exceptions, turned into one line on stderr and an exit code by main (dfq.cpp).
#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace dfq {

// --checkpoints' default: derived from --store (checkpoint_folder).
inline constexpr const char* kBesideTheStore = "(beside the store)";

struct GlobalOptions {
  int threads = 0;  // 0: all cores
  std::string store = "results/runs.sqlite";
  std::string cache = "results/cache";  // synthesised images (zeroq, intraq); "" disables
  std::string checkpoints = kBesideTheStore;  // per-epoch state of trained runs; "" disables
  bool quiet = false;
  std::string device;  // empty: the suite's `device` (sweep), the cell file's (run --config), else cpu
  std::string command_line;
};

// Where trained runs keep their per-epoch checkpoints: --checkpoints DIR, or by default the
// store's path with ".checkpoints" for its extension (results/runs.sqlite ->
// results/runs.checkpoints); empty (none) for --checkpoints "".
std::string checkpoint_folder(const GlobalOptions& g);

// What the subcommands share: the global options, and the exit code the one that runs sets.
struct Cli {
  GlobalOptions global;
  int exit_code = 0;
  // Applies the global options (threads, progress lines), then runs `body`; its return
  // value is the exit code.
  void run(const std::function<int()>& body);
};

void add_data_command(CLI::App& app, Cli& cli);
void add_teacher_command(CLI::App& app, Cli& cli);
void add_list_command(CLI::App& app, Cli& cli);
void add_run_command(CLI::App& app, Cli& cli);
void add_runs_command(CLI::App& app, Cli& cli);
void add_sweep_commands(CLI::App& app, Cli& cli);  // sweep and compare
void add_report_command(CLI::App& app, Cli& cli);
void add_check_command(CLI::App& app, Cli& cli);
void add_merge_command(CLI::App& app, Cli& cli);
void add_show_commands(CLI::App& app, Cli& cli);
void add_measure_command(CLI::App& app, Cli& cli);  // show and diff

// `dfq report`'s options, shared with `dfq compare`.
struct ReportCommand {
  std::string suite, metric = "top1", baseline = "gdfq", out, published, claims;
  std::vector<std::string> methods, bits;
  bool print = true;
};
int render_report(const GlobalOptions& global, const ReportCommand& command);

// Creates the folders above a file path (the store's).
void ensure_parent_dir(const std::string& path);

// The exit code of an exception escaping a command (1; 130 for an interrupt), after one
// line on stderr.
int report_error(const std::exception_ptr& error, const std::string& store);

}  // namespace dfq
