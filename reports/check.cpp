#include "reports/check.h"
#include "reports/selection.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <vector>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/unknown_key.h"

namespace dfq {

namespace {

// A gate must check something and be able to fail: every number finite and in range, every
// key known, every cell once.
void check_keys(const YAML::Node& node, const std::vector<std::string>& known, const std::string& where) {
  for (const auto& kv : node) {
    const auto key = kv.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end())
      throw InvalidInputError(fmt::format("{}: {}", where, unknown_key_message(key, known)));
  }
}

double checked_atol(double v, const std::string& where) {
  if (!std::isfinite(v) || v < 0)
    throw InvalidInputError(fmt::format("{}: atol {} must be a finite number of points >= 0", where, v));
  return v;
}

}  // namespace

Reference load_reference(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw MissingFileError(fmt::format("reference {} not found; write one from a trusted run with "
                                       "`dfq check --suite SUITE --write --reference {}`", path, path));
  Reference ref;
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (!root.IsMap()) throw InvalidInputError(fmt::format("{}: expected keys suite, atol and cells", path));
    check_keys(root, {"suite", "atol", "cells"}, path);
    if (!root["suite"]) throw InvalidInputError(fmt::format("{}: missing 'suite'", path));
    ref.suite = root["suite"].as<std::string>();
    if (root["atol"]) ref.atol = checked_atol(root["atol"].as<double>(), path);
    if (!root["cells"] || !root["cells"].IsSequence())
      throw InvalidInputError(fmt::format("{}: expected a list under 'cells'", path));
    if (root["cells"].size() == 0)
      throw InvalidInputError(fmt::format("{}: no cells; a gate that checks nothing passes anything (write it from a "
                                          "trusted run: dfq check --suite {} --write)",
                                          path, ref.suite));
    std::set<std::string> seen;
    int i = 0;
    for (const auto& n : root["cells"]) {
      const std::string where = fmt::format("{}: cell {}", path, ++i);
      if (!n.IsMap()) throw InvalidInputError(fmt::format("{}: expected {{method: ..., top1: ...}}", where));
      check_keys(n, {"method", "model", "dataset", "w_bits", "a_bits", "seed", "top1", "atol"}, where);
      ReferenceCell c;
      c.key.suite = ref.suite;
      c.key.method = n["method"].as<std::string>();
      c.key.model = n["model"].as<std::string>();
      c.key.dataset = n["dataset"].as<std::string>();
      c.key.w_bits = n["w_bits"].as<int>();
      c.key.a_bits = n["a_bits"].as<int>();
      c.key.seed = n["seed"] ? n["seed"].as<int64_t>() : 0;
      c.top1 = n["top1"].as<double>();
      if (!std::isfinite(c.top1) || c.top1 < 0 || c.top1 > 100)
        throw InvalidInputError(fmt::format("{}: top1 {} must be a percentage from 0 to 100", where, c.top1));
      if (n["atol"]) c.atol = checked_atol(n["atol"].as<double>(), where);
      const auto id = fmt::format("{} {}/{} W{}A{} seed {}", c.key.method, c.key.dataset, c.key.model, c.key.w_bits,
                                  c.key.a_bits, c.key.seed);
      if (!seen.insert(id).second) throw InvalidInputError(fmt::format("{}: {} is listed twice", where, id));
      ref.cells.push_back(c);
    }
  } catch (const YAML::Exception& e) {
    throw InvalidInputError(fmt::format("{}: {} (each cell needs method, model, dataset, w_bits, a_bits, top1)", path,
                                        e.what()));
  }
  return ref;
}

void write_reference(const std::string& path, const Reference& ref) {
  write_atomically(path, [&](const std::string& tmp) {
    std::ofstream out(tmp);
    out << "# Expected final-epoch test top-1 of the `" << ref.suite << "` suite, checked by\n"
        << "# `dfq check --suite " << ref.suite << "` (make gate for the ci suite).\n"
        << "# A cell fails when it is more than atol points below (regression) or above\n"
        << "# (improvement: update this file deliberately) its value.\n";
    out << "suite: " << ref.suite << "\natol: " << ref.atol << "\ncells:\n";
    for (const auto& c : ref.cells) {
      out << fmt::format("  - {{method: {}, model: {}, dataset: {}, w_bits: {}, a_bits: {}, seed: {}, top1: {:.2f}",
                         c.key.method, c.key.model, c.key.dataset, c.key.w_bits, c.key.a_bits, c.key.seed, c.top1);
      if (c.atol >= 0) out << fmt::format(", atol: {}", c.atol);
      out << "}\n";
    }
    check_written(out, path);
  });
}

Reference reference_from_store(const RunStore& store, const std::string& suite, double atol, const CheckRuns& runs) {
  Reference ref;
  ref.suite = suite;
  ref.atol = atol;
  RunSelection selection;
  selection.suite = suite;
  selection.mismatch = runs.mismatch;
  for (const auto& sel : select_runs(store, selection, runs.left_out))
    ref.cells.push_back({sel.run.key, sel.metrics.at("top1"), -1});
  std::sort(ref.cells.begin(), ref.cells.end(), [](const ReferenceCell& a, const ReferenceCell& b) {
    return std::make_tuple(a.key.method, a.key.w_bits, a.key.a_bits, a.key.seed) <
           std::make_tuple(b.key.method, b.key.w_bits, b.key.a_bits, b.key.seed);
  });
  if (ref.cells.empty()) throw InvalidInputError(fmt::format("no finished runs of suite '{}' to write a reference from", suite));
  return ref;
}

std::vector<CheckOutcome> check_reference(const RunStore& store, const Reference& ref, const CheckRuns& runs) {
  RunSelection selection;
  selection.suite = ref.suite;
  selection.mismatch = runs.mismatch;
  struct Newest {
    double top1 = 0;
    std::optional<double> diverged_at_epoch;
    int threads = 0;
  };
  std::map<CellId, Newest> newest;  // selected oldest first: the last one of a cell stays
  for (const auto& sel : select_runs(store, selection, runs.left_out)) {
    Newest n{sel.metrics.at("top1"), std::nullopt, sel.run.threads};
    if (sel.metrics.count("diverged_at_epoch")) n.diverged_at_epoch = sel.metrics.at("diverged_at_epoch");
    newest[cell_id(sel.run.key, sel.row)] = n;
  }
  std::vector<CheckOutcome> out;
  for (const auto& c : ref.cells) {
    CheckOutcome o;
    o.cell = c;
    o.atol = c.atol >= 0 ? c.atol : ref.atol;
    auto it = newest.find(cell_id(c.key, c.key.method));
    if (it != newest.end()) {
      o.got = it->second.top1;
      o.diverged_at_epoch = it->second.diverged_at_epoch;
      o.threads = it->second.threads;
    }
    if (!o.got) o.verdict = Verdict::Missing;
    else if (o.diverged_at_epoch) o.verdict = Verdict::Regression;
    else if (*o.got < c.top1 - o.atol) o.verdict = Verdict::Regression;
    else if (*o.got > c.top1 + o.atol) o.verdict = Verdict::Improvement;
    else o.verdict = Verdict::Ok;
    out.push_back(o);
  }
  return out;
}

std::string CheckOutcome::describe() const {
  auto name = fmt::format("{} {}/{} W{}A{} seed {}", cell.key.method, cell.key.dataset, cell.key.model,
                          cell.key.w_bits, cell.key.a_bits, cell.key.seed);
  switch (verdict) {
    case Verdict::Missing: return fmt::format("MISSING     {}: no finished run in the store (expected {:.2f})", name, cell.top1);
    case Verdict::Regression:
      if (diverged_at_epoch)
        return fmt::format("REGRESSION  {}: diverged at epoch {:.0f} (a non-finite loss ended training; top-1 {:.2f} "
                           "is its last evaluated epoch's)",
                           name, *diverged_at_epoch, *got);
      return fmt::format("REGRESSION  {}: {:.2f} < {:.2f} - {} (by {:.2f} points)", name, *got, cell.top1, atol,
                         cell.top1 - *got);
    case Verdict::Improvement:
      return fmt::format("IMPROVED    {}: {:.2f} > {:.2f} + {}: update the reference if this is intended", name, *got,
                         cell.top1, atol);
    case Verdict::Ok: break;
  }
  return fmt::format("ok          {}: {:.2f} (expected {:.2f} ± {})", name, *got, cell.top1, atol);
}

std::string thread_mix_note(const std::vector<CheckOutcome>& outcomes) {
  std::map<int, int> cells_by_threads;
  for (const auto& o : outcomes)
    if (o.got && o.threads > 0) ++cells_by_threads[o.threads];
  if (cells_by_threads.size() < 2) return "";
  std::string counts;
  for (const auto& [t, n] : cells_by_threads)
    counts += fmt::format("{}{} cell{} at {} thread{}", counts.empty() ? "" : ", ", n, n == 1 ? "" : "s", t,
                          t == 1 ? "" : "s");
  return fmt::format("the compared runs mix thread counts ({}); another thread count changes top-1 by rounding "
                     "(sums in another order), so a difference within atol may be the threads: re-run the suite with "
                     "one --threads-per-job to compare like with like",
                     counts);
}

}  // namespace dfq
