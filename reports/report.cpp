#include "reports/report.h"
#include "reports/selection.h"

#include <fmt/format.h>
#include <libfccp/csv.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

#include "core/util/env.h"
#include "core/util/error.h"
#include "reports/format.h"

namespace dfq {

std::string default_published_path() {
  return (std::filesystem::path(source_dir()) / "results" / "paper" / "published.csv").string();
}

std::vector<PublishedRow> load_published(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw MissingFileError(fmt::format("published numbers {} not found (it ships with the project: "
                                       "results/paper/published.csv)", path));
  std::vector<PublishedRow> rows;
  try {
    io::CSVReader<8, io::trim_chars<' '>, io::double_quote_escape<',', '"'>> in(path);
    in.read_header(io::ignore_extra_column, "dataset", "model", "method", "w_bits", "a_bits", "top1", "rerun",
                   "source");
    PublishedRow r;
    int rerun = 0;
    while (in.read_row(r.dataset, r.model, r.method, r.w_bits, r.a_bits, r.top1, rerun, r.source)) {
      r.rerun = rerun != 0;
      rows.push_back(r);
    }
  } catch (const io::error::base& e) {
    throw CorruptFileError(fmt::format("{}: {}", path, e.what()));
  }
  return rows;
}

namespace {

struct Seen {
  RunRecord run;
  std::map<std::string, double> metrics;
};

// Every distinct note the row's runs recorded, in first-seen order.
void add_notes(const Seen& seen, std::vector<std::string>& notes) {
  for (const auto& n : seen.run.notes)
    if (n.is_string() && std::find(notes.begin(), notes.end(), n.get<std::string>()) == notes.end())
      notes.push_back(n.get<std::string>());
}
using BySeed = std::map<int64_t, Seen>;
using ByBits = std::map<std::pair<int, int>, BySeed>;
using Rows = std::map<std::string, ByBits>;  // row label -> bits -> seed -> newest run

std::vector<BitWidth> columns_of(const Rows& rows) {
  std::set<std::pair<int, int>> cols;
  for (const auto& [label, by_bits] : rows)
    for (const auto& [b, seeds] : by_bits) cols.insert(b);
  std::vector<BitWidth> out;
  for (const auto& b : cols) out.push_back({b.first, b.second});  // sorted by (w, a)
  return out;
}

// Deployment metrics of every run of a column, summarised.
std::map<std::string, Summary> deployment_of(const Rows& rows, const BitWidth& col) {
  std::map<std::string, std::vector<double>> values;
  for (const auto& [label, by_bits] : rows) {
    auto it = by_bits.find({col.w, col.a});
    if (it == by_bits.end()) continue;
    for (const auto& [seed, seen] : it->second)
      for (const auto& k : kDeploymentKeys)
        if (seen.metrics.count(k)) values[k].push_back(seen.metrics.at(k));
  }
  std::map<std::string, Summary> summary;
  for (const auto& [k, v] : values) summary[k] = summarize(v);
  return summary;
}

ReportCell make_cell(ReportGroup& g, const std::string& method, const BitWidth& col, const BySeed* seeds,
                     const std::string& metric, const std::vector<PublishedRow>& published) {
  ReportCell cell;
  cell.bits = col;
  std::vector<double> vsel, vbest, images, seconds;
  std::set<int64_t> batches;
  if (seeds)
    for (const auto& [seed, seen] : *seeds) {
      if (seen.metrics.count("train_images")) images.push_back(seen.metrics.at("train_images"));
      if (seen.metrics.count("train_seconds")) seconds.push_back(seen.metrics.at("train_seconds"));
      if (std::find(cell.threads.begin(), cell.threads.end(), seen.run.threads) == cell.threads.end())
        cell.threads.push_back(seen.run.threads);
      const auto config = nlohmann::json::parse(seen.run.config_json, nullptr, false);
      batches.insert(config.is_object() && config.contains("batch_size") && config["batch_size"].is_number_integer()
                         ? config["batch_size"].get<int64_t>()
                         : 0);
      cell.values.push_back(seen.metrics.at(metric));
      cell.seeds.push_back(seed);
      cell.run_ids.push_back(seen.run.id);
      if (seen.metrics.count("top1_val_selected")) vsel.push_back(seen.metrics.at("top1_val_selected"));
      if (seen.metrics.count("top1_best_test")) vbest.push_back(seen.metrics.at("top1_best_test"));
      if (seen.metrics.count("fp_top1") && !g.fp_top1) g.fp_top1 = seen.metrics.at("fp_top1");
      if (seen.metrics.count("diverged_at_epoch")) ++cell.diverged;
    }
  cell.summary = summarize(cell.values);
  cell.images = summarize(images);
  cell.seconds = summarize(seconds);
  std::sort(cell.threads.begin(), cell.threads.end());
  if (batches.size() == 1) cell.batch = *batches.begin();
  cell.val_selected = summarize(vsel);
  cell.best_test = summarize(vbest);
  for (const auto& p : published)
    if (p.dataset == g.dataset && p.model == g.model && p.method == method && p.w_bits == col.w && p.a_bits == col.a)
      cell.published = p;
  return cell;
}

}  // namespace

std::vector<CurveBand> curve_bands(const std::vector<std::vector<CurvePoint>>& runs) {
  std::map<std::string, std::map<int64_t, std::vector<double>>> by_key;
  std::vector<std::string> order;  // keys as the first run that has them logs them
  std::map<std::string, std::set<size_t>> runs_of;
  for (size_t r = 0; r < runs.size(); ++r)
    for (const auto& p : runs[r]) {
      if (!by_key.count(p.key)) order.push_back(p.key);
      by_key[p.key][p.step].push_back(p.value);
      runs_of[p.key].insert(r);
    }
  std::vector<CurveBand> out;
  for (const auto& key : order) {
    CurveBand b;
    b.key = key;
    b.runs = static_cast<int>(runs_of[key].size());
    for (const auto& [step, values] : by_key[key]) {
      double sum = 0, lo = std::numeric_limits<double>::infinity(), hi = -lo;
      int n = 0;
      for (double v : values) {
        if (!std::isfinite(v)) continue;
        sum += v;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        ++n;
      }
      if (n == 0) continue;
      b.steps.push_back(step);
      b.mean.push_back(sum / n);
      b.lo.push_back(lo);
      b.hi.push_back(hi);
    }
    out.push_back(std::move(b));
  }
  return out;
}

namespace {

ReportRow make_row(const RunStore& store, ReportGroup& g, const std::string& label, const ByBits& by_bits,
                   const RunRecord& any_run, const std::string& metric, const std::vector<PublishedRow>& published) {
  ReportRow row;
  row.label = label;
  row.method = any_run.key.method;
  row.paper = any_run.paper;
  row.year = any_run.year;
  for (const auto& col : g.columns) {
    auto it = by_bits.find({col.w, col.a});
    row.cells.push_back(make_cell(g, row.method, col, it == by_bits.end() ? nullptr : &it->second, metric, published));
  }
  std::map<std::string, int> devices;  // where the runs trained (GPU runs differ from CPU ones by rounding)
  std::map<int, int> threads;          // CPU threads per run: another count changes the rounding too
  for (const auto& [bits, seeds] : by_bits)
    for (const auto& [seed, seen] : seeds) {
      add_notes(seen, row.notes);
      ++devices[seen.run.device.empty() ? "cpu" : seen.run.device];
      ++threads[seen.run.threads];
    }
  if (devices.size() > 1 || !devices.count("cpu")) {
    std::string note = "runs by device:";
    for (const auto& [d, n] : devices) note += fmt::format(" {} {},", d, n);
    note.back() = ';';
    row.notes.push_back(note + " deployment figures are CPU measurements for all");
  }
  if (threads.size() > 1) {
    std::string note = "runs by CPU threads:";
    for (const auto& [t, n] : threads) note += fmt::format(" {} thread{} {},", t, t == 1 ? "" : "s", n);
    note.back() = ';';
    row.notes.push_back(note + " thread counts change the numbers by rounding (sums in another order)");
  }
  // Curves of the lowest bit-width, as the band over its seeds; the game's bounds from its lowest seed.
  for (const auto& cell : row.cells)
    if (!cell.run_ids.empty()) {
      row.sample_bits = cell.bits;
      std::vector<std::vector<CurvePoint>> seeds;
      for (const int64_t id : cell.run_ids) seeds.push_back(store.curves(id));
      row.sample_bands = curve_bands(seeds);
      if (const auto run = store.get_run(cell.run_ids.front())) {
        const auto config = nlohmann::json::parse(run->config_json, nullptr, false);
        if (config.is_object() && config.contains("lambda_l") && config.contains("lambda_u") &&
            config["lambda_l"].is_number() && config["lambda_u"].is_number() &&
            config.value("use_marginal", true) == true && config["lambda_l"].get<double>() >= 0)
          row.h_bounds = std::make_pair(config["lambda_l"].get<double>(), config["lambda_u"].get<double>());
      }
      break;
    }
  return row;
}

// Rows in the given method order, then by name; Welch's t-test of every row against the
// baseline row, per column.
void order_and_test(ReportGroup& g, const ReportOptions& o) {
  auto rank = [&](const ReportRow& r) {
    auto it = std::find(o.method_order.begin(), o.method_order.end(), r.method);
    return std::make_pair(static_cast<long>(it - o.method_order.begin()), r.label);
  };
  std::sort(g.rows.begin(), g.rows.end(), [&](const ReportRow& a, const ReportRow& b) { return rank(a) < rank(b); });
  const ReportRow* base = nullptr;
  for (const auto& r : g.rows)
    if (r.method == o.baseline) base = &r;
  if (!base) return;
  for (auto& r : g.rows) {
    if (&r == base) continue;
    for (size_t c = 0; c < r.cells.size(); ++c)
      r.cells[c].vs_baseline = welch_t_test(r.cells[c].values, base->cells[c].values);
  }
}

}  // namespace

std::optional<PublishedRow> published_fp(const std::vector<PublishedRow>& published, const std::string& dataset,
                                         const std::string& model) {
  std::optional<PublishedRow> fp;
  for (const auto& p : published)
    if (p.dataset == dataset && p.model == model && p.method == "fp") fp = p;  // the last match wins
  return fp;
}

std::vector<ComputeLine> compute_lines(const ReportGroup& g) {
  std::vector<ComputeLine> out;
  for (const auto& r : g.rows)
    for (const auto& c : r.cells) {
      if (c.summary.n == 0 || c.images.n == 0) continue;
      ComputeLine l{r.label, r.method, c.bits, c.batch, c.images, c.seconds, c.summary, ""};
      for (const int t : c.threads) l.threads += (l.threads.empty() ? "" : ", ") + std::to_string(t);
      out.push_back(std::move(l));
    }
  return out;
}

std::vector<std::string> compute_fields(const ComputeLine& l, const std::string& dash, const std::string& plus_minus) {
  return {l.label,
          bits_name(l.bits),
          l.batch > 0 ? std::to_string(l.batch) : "-",
          count_text(l.images.mean),
          fmt::format("{:.0f} ({:.0f}{}{:.0f})", l.seconds.mean, l.seconds.min, dash, l.seconds.max),
          l.threads,
          count_text(l.images.mean / l.seconds.mean),
          fmt_value(l.top1.mean) + (l.top1.n > 1 ? plus_minus + fmt_value(l.top1.std) : "")};
}

std::string count_text(double n) {
  if (!std::isfinite(n)) return "-";
  const double a = std::abs(n);
  if (a < 1e3) return fmt::format("{:.3g}", n);
  if (a < 1e6) return fmt::format("{:.3g}k", n / 1e3);
  if (a < 1e9) return fmt::format("{:.3g}M", n / 1e6);
  return fmt::format("{:.3g}G", n / 1e9);
}

Report build_report(const RunStore& store, const ReportOptions& o, const std::vector<PublishedRow>& published) {
  Report report;
  report.options = o;
  RunSelection selection;
  selection.suite = o.suite;
  selection.metric = o.metric;
  selection.methods = o.methods;
  selection.bits = o.bits;
  selection.row_of = [](const RunRecord& r, const std::map<std::string, double>& m) { return row_label(r.key.method, m); };
  selection.mismatch = o.mismatch;
  std::map<std::pair<std::string, std::string>, Rows> groups;  // (dataset, model) -> rows
  std::map<std::string, RunRecord> label_run;
  for (auto& sel : select_runs(store, selection, &report.left_out)) {
    const auto& r = sel.run;
    groups[{r.key.dataset, r.key.model}][sel.row][{r.key.w_bits, r.key.a_bits}][r.key.seed] = {r, sel.metrics};
    label_run.emplace(sel.row, r);
    ++report.runs;
    report.selected.push_back(sel);
  }
  std::vector<RunRecord> used;
  for (const auto& sel : report.selected) used.push_back(sel.run);
  report.provenance = collect_provenance(store.path(), used);
  for (const auto& [dm, rows] : groups) {
    ReportGroup g;
    g.dataset = dm.first;
    g.model = dm.second;
    g.columns = columns_of(rows);
    g.fp_published = published_fp(published, g.dataset, g.model);
    for (const auto& col : g.columns) g.deployment.push_back(deployment_of(rows, col));
    for (const auto& [label, by_bits] : rows)
      g.rows.push_back(make_row(store, g, label, by_bits, label_run.at(label), o.metric, published));
    order_and_test(g, o);
    report.groups.push_back(std::move(g));
  }
  return report;
}

}  // namespace dfq
