// The dfq command line: data, teacher, runs (and the method commands added by later work).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <torch/torch.h>

#include <iostream>

#include "apps/commands.h"
#include "core/util/error.h"
#include "core/util/progress.h"
#include "core/util/rng.h"

int main(int argc, char** argv) {
  CLI::App app{"dfqbench: data-free quantization methods, run and compared on shared components"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every subcommand");
  dfq::GlobalOptions global;
  app.add_option("--threads", global.threads, "LibTorch threads (default: all cores)");
  app.add_option("--store", global.store, "run store (SQLite)")->capture_default_str();
  app.add_option("--cache", global.cache, "cache of synthesised images (zeroq, intraq); empty disables")
      ->capture_default_str();
  app.add_flag("--quiet", global.quiet, "no progress lines");
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  global.command_line = command_line;

  dfq::register_commands(app, global);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
