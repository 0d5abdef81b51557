// The dfq command line: `dfq --help` lists the subcommands (apps/cmd_*.cpp).
#include <CLI/CLI.hpp>

#include "apps/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"dfqbench: data-free quantization methods, run and compared on shared components"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every subcommand");
  dfq::Cli cli;
  auto& g = cli.global;
  app.add_option("--threads", g.threads, "LibTorch threads (default: all cores)");
  app.add_option("--store", g.store, "run store (SQLite)")->capture_default_str();
  app.add_option("--cache", g.cache, "cache of synthesised images (zeroq, intraq); empty disables")
      ->capture_default_str();
  app.add_option("--device", g.device,
                 "where runs compute: cpu, cuda, cuda:N or auto (CUDA when visible); default: the suite's device, "
                 "else cpu. Int8 export and its latency stay on the CPU");
  app.add_flag("--quiet", g.quiet, "no progress lines");
  for (int i = 0; i < argc; ++i) g.command_line += (i ? " " : "") + std::string(argv[i]);

  dfq::add_data_command(app, cli);
  dfq::add_teacher_command(app, cli);
  dfq::add_list_command(app, cli);
  dfq::add_run_command(app, cli);
  dfq::add_runs_command(app, cli);
  dfq::add_sweep_commands(app, cli);
  dfq::add_report_command(app, cli);
  dfq::add_check_command(app, cli);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (...) {
    return dfq::report_error(std::current_exception(), g.store);
  }
  return cli.exit_code;
}
