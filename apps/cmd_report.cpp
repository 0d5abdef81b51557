// dfq report: a suite's results as Markdown, CSV and HTML with SVG plots.
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (in format.h before fmt 11)

#include <algorithm>
#include <set>

#include <filesystem>
#include <fstream>
#include <memory>

#include "apps/commands.h"
#include "apps/suite_runs.h"
#include "core/config/suite.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/paths.h"
#include "methods/registry.h"
#include "reports/claims.h"
#include "reports/format.h"
#include "reports/report.h"
#include "reports/study.h"

namespace dfq {
namespace {

// The variants (and their settings) of suite file configs/NAME.yaml, in the file's order;
// none when no such file exists (a suite recorded under another name, e.g. NAME-smoke).
std::vector<StudyVariant> suite_file_variants(const std::string& name) {
  if (!is_safe_component(name)) return {};
  const auto path = std::filesystem::path(default_configs_dir()) / (name + ".yaml");
  if (!std::filesystem::exists(path)) return {};
  std::vector<StudyVariant> out;
  for (const auto& [variant, settings] : load_suite(path.string(), default_configs_dir()).variants) {
    std::string text;
    for (const auto& [k, v] : settings) text += (text.empty() ? "" : ", ") + k + "=" + v;
    out.push_back({variant, text});
  }
  return out;
}

// --baseline must name a method, and --metric one that the suite's finished runs have.
void check_report_values(const RunStore& store, const ReportCommand& rc) {
  std::vector<std::string> methods;
  for (const auto& m : method_registry()) methods.push_back(m.name);
  if (std::find(methods.begin(), methods.end(), rc.baseline) == methods.end())
    throw UsageError(fmt::format("--baseline '{}' is not a method; valid: {}", rc.baseline, fmt::join(methods, ", ")));
  for (const auto& m : rc.methods)
    if (std::find(methods.begin(), methods.end(), m) == methods.end())
      throw UsageError(fmt::format("--methods: '{}' is not a method; valid: {}", m, fmt::join(methods, ", ")));
  std::set<std::string> metrics;
  RunFilter done;
  done.status = "done";
  for (const auto& r : store.list_runs(done)) {
    if (r.key.suite != rc.suite && r.key.suite.rfind(rc.suite + "@", 0) != 0) continue;
    for (const auto& [k, v] : store.metrics(r.id)) metrics.insert(k);
  }
  if (!metrics.empty() && !metrics.count(rc.metric))
    throw UsageError(fmt::format("--metric '{}' is in none of suite '{}''s finished runs; they have: {}", rc.metric,
                                 rc.suite, fmt::join(metrics, ", ")));
}

}  // namespace

int render_report(const GlobalOptions& g, const ReportCommand& rc) {
  if (!std::filesystem::exists(g.store))
    throw MissingFileError(fmt::format("no run store at {}; run `dfq sweep --suite {}` first", g.store, rc.suite));
  RunStore store(g.store, RunStore::Access::ReadOnly);  // archived stores in read-only folders report too
  store.verify_integrity();
  check_report_values(store, rc);
  ReportOptions o;
  o.suite = rc.suite;
  o.metric = rc.metric;
  o.baseline = rc.baseline;
  o.methods = rc.methods;
  for (const auto& b : rc.bits) o.bits.push_back(parse_bit_width(b));
  for (const auto& m : method_registry()) o.method_order.push_back(m.name);
  o.mismatch = suite_run_matcher(rc.suite, default_configs_dir());
  auto published = load_published(rc.published.empty() ? default_published_path() : rc.published);
  auto report = build_report(store, o, published);
  const auto dir = rc.out.empty()
                       ? (std::filesystem::path(g.store).parent_path() / "reports" / safe_component(rc.suite)).string()
                       : rc.out;
  auto write = [&](const std::string& name, const std::string& text) {
    const auto path = (std::filesystem::path(dir) / name).string();
    write_text_atomically(path, text);
    return path;
  };
  if (report.groups.empty()) {
    // A suite with variants records its runs as NAME@VARIANT: its report is the study.
    const auto variants = study_variants(store, rc.suite, suite_file_variants(rc.suite));
    if (variants.empty())
      throw InvalidInputError(fmt::format("no finished runs of suite '{}' in {} match; run `dfq sweep --suite {}`",
                                          rc.suite, g.store, rc.suite));
    const auto study = build_study(store, rc.suite, variants, o.metric, o.method_order, [](const std::string& label) {
      return suite_run_matcher(label, default_configs_dir());
    });
    if (study.groups.empty())
      throw InvalidInputError(fmt::format("no finished runs with metric '{}' of suite '{}' (variants {}) in {}",
                                          o.metric, rc.suite, variants.size(), g.store));
    std::filesystem::create_directories(dir);
    const auto md = render_study_markdown(study);
    write("study.md", md);
    write("study.csv", render_study_csv(study));
    if (rc.print) fmt::print("{}\n", md);
    fmt::print(stderr, "study of {} runs in {} variants written to {}/ (study.md, study.csv)\n", study.runs,
               variants.size(), dir);
    const auto left = left_out_text(study.left_out.runs, study.left_out.example_run, study.left_out.example_why);
    if (!left.empty()) fmt::print(stderr, "note: {}\n", left);
    return 0;
  }
  std::filesystem::create_directories(dir);
  // The papers' claims on these tables (none unless both methods of a claim have rows).
  std::vector<ClaimResult> claims;
  if (rc.claims != "none")
    claims = evaluate_claims(report, load_claims(rc.claims.empty() ? default_claims_path() : rc.claims), published);
  const auto md = render_markdown(report) + render_claims_markdown(claims, o.metric);
  write("report.md", md);
  write("report.csv", render_csv(report));
  write("runs.csv", render_runs_csv(report));
  write("report.json", report_json(report).dump(2) + "\n");
  const auto html = write("report.html", render_html(report, render_claims_html(claims, o.metric)));
  // Data set and model names come from the store (possibly shared): only a safe alphabet
  // reaches the file name.
  for (const auto& grp : report.groups)
    write(fmt::format("top1-vs-bits-{}-{}.svg", safe_component(grp.dataset), safe_component(grp.model)),
          render_bits_plot(grp, o.metric));
  if (rc.print) fmt::print("{}\n", md);
  fmt::print(stderr, "report of {} runs written to {}/ (report.md, report.csv with a row per cell, runs.csv with a row per run, "
             "report.json, {})\n", report.runs, dir,
             std::filesystem::path(html).filename().string());
  const auto left = left_out_text(report.left_out.runs, report.left_out.example_run, report.left_out.example_why);
  if (!left.empty()) fmt::print(stderr, "note: {}\n", left);
  return 0;
}

void add_report_command(CLI::App& app, Cli& cli) {
  auto* cmd = app.add_subcommand("report", "render a suite's results: Markdown, CSV and HTML with SVG plots");
  auto r = std::make_shared<ReportCommand>();
  cmd->add_option("--suite", r->suite, "suite recorded with the runs")->required();
  cmd->add_option("--metric", r->metric, "metric in the cells (top1, top1_val_selected, top1_best_test, ...)")
      ->capture_default_str();
  cmd->add_option("--baseline", r->baseline, "method the t-test compares against")->capture_default_str();
  cmd->add_option("--methods", r->methods, "only these methods (comma-separated)")->delimiter(',');
  cmd->add_option("--bits", r->bits, "only these bit-widths (comma-separated)")->delimiter(',');
  cmd->add_option("--out", r->out, "report folder (default: results/reports/SUITE)");
  cmd->add_option("--published", r->published, "published numbers CSV (default: results/paper/published.csv)");
  cmd->add_option("--claims", r->claims,
                  "the papers' claims to test on the tables (default: results/paper/claims.yaml; none: no claims "
                  "section)");
  cmd->callback([&cli, r] { cli.run([&] { return render_report(cli.global, *r); }); });
}

}  // namespace dfq
