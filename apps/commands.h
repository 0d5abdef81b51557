// Subcommands of `dfq`; each registers itself on the CLI11 app.
#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace dfq {

struct GlobalOptions {
  int threads = 0;  // 0: all cores
  std::string store = "results/runs.sqlite";
  std::string cache = "results/cache";  // synthesised images (zeroq, intraq); "" disables
  bool quiet = false;
  std::string command_line;
};

void register_commands(CLI::App& app, GlobalOptions& global);

// Applies global options, runs `body`, turns exceptions into one line on stderr.
// Returns the process exit code.
int guarded(const GlobalOptions& global, const std::function<int()>& body);

}  // namespace dfq
