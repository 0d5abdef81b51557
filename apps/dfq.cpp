// The dfq command line: `dfq --help` lists the subcommands (apps/cmd_*.cpp).
// Exit codes: 0 success, 1 failure, 2 a usage error (an unknown option, a bad value), 130
// an interrupt; `dfq check` adds 3 (an improvement beyond atol).
#include <CLI/CLI.hpp>

#include <functional>

#include "apps/commands.h"
#include "core/util/build_info.h"
#include "core/util/rng.h"

namespace {

// The options every command shares, accepted before or after the subcommand's name
// (`dfq --store X run ...` and `dfq run ... --store X`) and listed in each --help.
void add_global_options(CLI::App& app, dfq::GlobalOptions& g) {
  app.add_option("--threads", g.threads, "LibTorch threads (default: all cores)")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            try {
              const long n = std::stol(v);
              if (n < 1) return "--threads must be 1 or more (leave it out for all cores)";
              if (n > dfq::max_parallelism())
                return "--threads " + v + " is more than 4x this machine's hardware threads (at most " +
                       std::to_string(dfq::max_parallelism()) + ")";
            } catch (const std::exception&) {
              return "--threads takes a whole number, got '" + v + "'";
            }
            return "";
          },
          "N>=1", "threads"));
  app.add_option("--store", g.store, "run store (SQLite)")->capture_default_str();
  app.add_option("--cache", g.cache, "cache of synthesised images (zeroq, intraq); empty disables")
      ->capture_default_str();
  app.add_option("--checkpoints", g.checkpoints,
                 "folder where trained runs keep their state after every epoch: a killed run's cell resumes from its "
                 "last epoch when it runs again, and a finished run removes its file (beside the store: "
                 "results/runs.checkpoints for results/runs.sqlite); empty disables")
      ->capture_default_str();
  app.add_option("--device", g.device,
                 "where runs compute: cpu, cuda, cuda:N or auto (CUDA when visible); default: the suite's device, "
                 "else cpu. Int8 export and its latency stay on the CPU");
  app.add_flag("--quiet", g.quiet, "no progress lines");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dfqbench: data-free quantization methods, run and compared on shared components"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every subcommand");
  app.set_version_flag("--version", dfq::version_text(), "version, build commit, LibTorch, CUDA");
  dfq::Cli cli;
  auto& g = cli.global;
  add_global_options(app, g);
  for (int i = 0; i < argc; ++i) g.command_line += (i ? " " : "") + std::string(argv[i]);

  dfq::add_data_command(app, cli);
  dfq::add_teacher_command(app, cli);
  dfq::add_list_command(app, cli);
  dfq::add_run_command(app, cli);
  dfq::add_runs_command(app, cli);
  dfq::add_sweep_commands(app, cli);
  dfq::add_report_command(app, cli);
  dfq::add_check_command(app, cli);
  dfq::add_merge_command(app, cli);
  dfq::add_show_commands(app, cli);
  dfq::add_measure_command(app, cli);
  std::function<void(CLI::App&)> add_to_subcommands = [&](CLI::App& parent) {
    for (auto* sub : parent.get_subcommands([](CLI::App*) { return true; })) {
      add_global_options(*sub, g);
      add_to_subcommands(*sub);
    }
  };
  add_to_subcommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints the message (or the help, or the version)
    return code == 0 ? 0 : 2;
  } catch (...) {
    return dfq::report_error(std::current_exception(), g.store);
  }
  return cli.exit_code;
}
