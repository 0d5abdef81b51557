// dfq show RUN and dfq diff RUN RUN: one run whole, or two side by side.
#include <fmt/format.h>

#include <memory>

#include "apps/commands.h"
#include "core/store/run_store.h"
#include "reports/inspect.h"

namespace dfq {

void add_show_commands(CLI::App& app, Cli& cli) {
  auto* show = app.add_subcommand(
      "show", "one run: how it was obtained, its metrics, a summary of each curve, its resolved configuration");
  auto run = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  show->add_option("RUN", *run, "a run id (dfq runs lists them) or 8 or more digits of its uid")->required();
  show->add_flag("--json", *json, "print the run (with its configuration) as JSON");
  show->callback([&cli, run, json] {
    cli.run([&] {
      RunStore store(cli.global.store, RunStore::Access::ReadOnly);
      const auto v = load_run_view(store, *run);
      if (*json) fmt::print("{}\n", run_json(v, true).dump(2));
      else fmt::print("{}", render_run_show(v));
      return 0;
    });
  });

  auto* diff = app.add_subcommand("diff", "two runs side by side: the configuration keys and metrics that differ");
  auto runs = std::make_shared<std::vector<std::string>>();
  diff->add_option("RUNS", *runs, "two run ids (or uid prefixes)")->required()->expected(2);
  diff->callback([&cli, runs] {
    cli.run([&] {
      RunStore store(cli.global.store, RunStore::Access::ReadOnly);
      fmt::print("{}", render_run_diff(load_run_view(store, (*runs)[0]), load_run_view(store, (*runs)[1])));
      return 0;
    });
  });
}

}  // namespace dfq
