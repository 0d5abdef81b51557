// dfq measure: the latency phase on runs already in a store, one run at a time (#16 §4).
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "apps/commands.h"
#include "apps/measure.h"
#include "core/util/error.h"
#include "core/util/interrupt.h"
#include "reports/inspect.h"

namespace dfq {
namespace {

struct MeasureCommand {
  std::vector<std::string> runs;
  std::string suite, zoo;
  bool again = false;
};

int measure(const GlobalOptions& g, const MeasureCommand& c) {
  if (c.runs.empty() == c.suite.empty())
    throw UsageError("dfq measure needs run ids (dfq runs lists them) or --suite NAME, not both");
  if (!std::filesystem::exists(g.store))
    throw MissingFileError(fmt::format("no run store at {}; give the store with --store", g.store));
  RunStore store(g.store);
  store.verify_integrity();
  std::vector<RunRecord> todo;
  if (!c.runs.empty()) {
    for (const auto& ref : c.runs) {
      auto v = load_run_view(store, ref);
      if (v.run.status != "done")
        throw InvalidInputError(fmt::format("run {} is {}: only finished runs are measured", v.run.id, v.run.status));
      todo.push_back(v.run);  // named runs are measured again
    }
  } else {
    RunFilter f;
    f.status = "done";
    int matched = 0;
    for (auto& r : store.list_runs(f)) {
      const auto& s = r.key.suite;
      const bool match = s == c.suite || (c.suite.find('@') == std::string::npos && s.rfind(c.suite + "@", 0) == 0);
      matched += match;
      if (match && (c.again || !has_latency(store.metrics(r.id)))) todo.push_back(std::move(r));
    }
    if (matched == 0)
      throw InvalidInputError(fmt::format("no finished run of suite '{}' in {}; dfq runs lists the suites", c.suite,
                                          g.store));
    if (todo.empty()) {
      fmt::print("every finished run of suite '{}' has its latency measured{}\n", c.suite,
                 c.again ? "" : " (--again measures them all again)");
      return 0;
    }
  }
  install_stop_handlers();
  const int noisy = measure_runs(store, todo, c.zoo, "rerun to measure the rest",
                                 [&](int i, const RunRecord& r, const std::map<std::string, double>& m) {
                                   fmt::print("measured {}/{}: run {} {} W{}A{} {} seed {}: {}\n", i, todo.size(),
                                              r.id, r.key.method, r.key.w_bits, r.key.a_bits, r.key.model,
                                              r.key.seed, describe_latency(m));
                                 });
  if (noisy > 0)
    fmt::print("{} of {} measurements are noisy: measure them again (--again) when nothing else runs\n", noisy,
               todo.size());
  return 0;
}

}  // namespace

void add_measure_command(CLI::App& app, Cli& cli) {
  auto* cmd = app.add_subcommand(
      "measure",
      "deployment latency of finished runs (fp32 teacher, fake-quant student, int8 model; batch 1 and 64), one run at "
      "a time, with the machine's load: a sweep runs this after its training cells");
  auto c = std::make_shared<MeasureCommand>();
  cmd->add_option("RUNS", c->runs, "run ids (or uid prefixes) to measure (again)");
  cmd->add_option("--suite", c->suite, "every finished run of this suite (and its variants) not measured yet by a latency phase");
  cmd->add_flag("--again", c->again, "with --suite: measure runs that have latency figures too");
  cmd->add_option("--zoo", c->zoo, "teacher zoo folder instead of the default");
  cmd->callback([&cli, c] { cli.run([&] { return measure(cli.global, *c); }); });
}

}  // namespace dfq
