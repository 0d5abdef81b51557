// dfq data: which data sets are found where, and how to get the missing ones.
#include <fmt/format.h>

#include <memory>

#include "apps/commands.h"
#include "core/data/dataset.h"

namespace dfq {

void add_data_command(CLI::App& app, Cli& cli) {
  auto* cmd = app.add_subcommand("data", "list the data sets, where they are looked for and whether they are there");
  auto root = std::make_shared<std::string>();
  cmd->add_option("--data-root", *root, "look in this folder instead of each data set's default");
  cmd->callback([&cli, root] {
    cli.run([&] {
      fmt::print("{:<14} {:<9} {:<48} {}\n", "dataset", "status", "location", "shape");
      for (const auto& name : dataset_names()) {
        const auto& info = dataset_info(name);
        auto loc = locate_dataset(name, *root);
        fmt::print("{:<14} {:<9} {:<48} {}x{}x{}, {} classes\n", name, loc.missing.empty() ? "found" : "missing",
                   loc.root, info.channels, info.size, info.size, info.classes);
        if (!loc.missing.empty()) fmt::print("  -> {}\n", info.how_to_get);
      }
      return 0;
    });
  });
}

}  // namespace dfq
