// dfq check: a suite's newest results against a reference (the CI accuracy gate). Exit 1
// on a regression or a missing cell, 3 on an improvement beyond atol (2 is a usage error).
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "apps/commands.h"
#include "apps/suite_runs.h"
#include "core/config/suite.h"
#include "core/util/env.h"
#include "core/util/error.h"
#include "reports/check.h"
#include "reports/format.h"

namespace dfq {
namespace {

struct CheckCommand {
  std::string suite, reference;
  bool write = false;
  double atol = -1;  // --write: unset keeps the existing reference's atol (1.0 for a new one)
};

int check(const GlobalOptions& g, const std::string& suite, const std::string& reference_path, bool write,
          double atol) {
  const auto path = reference_path.empty()
                        ? (std::filesystem::path(source_dir()) / "results" / "reference" / (suite + ".yaml")).string()
                        : reference_path;
  if (!std::filesystem::exists(g.store))
    throw MissingFileError(fmt::format("no run store at {}; run `dfq sweep --suite {}` first", g.store, suite));
  RunStore store(g.store, RunStore::Access::ReadOnly);
  store.verify_integrity();
  LeftOut left_out;
  CheckRuns runs{suite_run_matcher(suite, default_configs_dir()), &left_out};
  auto say_left_out = [&] {
    const auto left = left_out_text(left_out.runs, left_out.example_run, left_out.example_why);
    if (!left.empty()) fmt::print("note: {}\n", left);
  };
  if (write) {
    if (atol < 0) atol = std::filesystem::exists(path) ? load_reference(path).atol : 1.0;
    write_reference(path, reference_from_store(store, suite, atol, runs));
    say_left_out();
    fmt::print("wrote {} from the newest finished runs of suite '{}'\n", path, suite);
    return 0;
  }
  auto ref = load_reference(path);
  if (ref.suite != suite)
    throw InvalidInputError(fmt::format("{} is the reference of suite '{}', not '{}'", path, ref.suite, suite));
  int regressions = 0, improvements = 0, missing = 0;
  const auto outcomes = check_reference(store, ref, runs);
  for (const auto& o : outcomes) {
    fmt::print("{}\n", o.describe());
    regressions += o.verdict == Verdict::Regression;
    improvements += o.verdict == Verdict::Improvement;
    missing += o.verdict == Verdict::Missing;
  }
  say_left_out();
  if (const auto mix = thread_mix_note(outcomes); !mix.empty()) fmt::print("note: {}\n", mix);
  fmt::print("{} cells: {} regressions, {} improvements, {} missing\n", ref.cells.size(), regressions, improvements,
             missing);
  if (regressions + missing > 0) return 1;
  if (improvements > 0) {
    fmt::print("accuracy improved beyond atol: if intended, update the reference with "
               "`{} --store {} check --suite {} --reference {} --write` and commit it\n",
               "build/dfq", g.store, suite, path);
    return 3;
  }
  return 0;
}

}  // namespace

void add_check_command(CLI::App& app, Cli& cli) {
  auto* cmd = app.add_subcommand("check", "compare a suite's newest results with a reference (the CI accuracy gate)");
  auto c = std::make_shared<CheckCommand>();
  cmd->add_option("--suite", c->suite, "suite")->required();
  cmd->add_option("--reference", c->reference, "reference file (default: results/reference/SUITE.yaml)");
  cmd->add_flag("--write", c->write, "write the reference from the store instead of checking");
  cmd->add_option("--atol", c->atol,
                  "tolerance written with --write (points of top-1; default: the existing reference's, else 1.0)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([&cli, c] { cli.run([&] { return check(cli.global, c->suite, c->reference, c->write, c->atol); }); });
}

}  // namespace dfq
