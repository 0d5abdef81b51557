#include "reports/report.h"

#include <fmt/format.h>
#include <libfccp/csv.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "core/util/env.h"
#include "core/util/error.h"
#include "reports/svg.h"

namespace dfq {
namespace {

std::string bits_name(const BitWidth& b) {
  if (b.w == 32 && b.a == 32) return "FP";
  return fmt::format("W{}A{}", b.w, b.a);
}

std::string row_label(const std::string& method, const std::map<std::string, double>& metrics) {
  auto it = metrics.find("finetuned");
  if (it == metrics.end()) return method;
  return fmt::format("{} ({})", method, it->second > 0.5 ? "fine-tuned" : "post-training");
}

const std::vector<std::string> kDeploymentKeys = {
    "weight_bytes_fp32",         "weight_bytes_packed",          "packed_file_bytes",
    "latency_ms_p50_fp32_b1",    "latency_ms_p50_fakequant_b1",  "latency_ms_p50_fp32_b64",
    "latency_ms_p50_fakequant_b64", "latency_ms_p50_int8_b1",     "latency_ms_p50_int8_b64",
    "int8_top1",                 "peak_rss_bytes"};

std::string fmt_value(double v) { return std::isfinite(v) ? fmt::format("{:.2f}", v) : "-"; }

std::string p_text(const WelchResult& w) {
  if (!w.valid) return "";
  return w.p < 0.001 ? "p<0.001" : fmt::format("p={:.3f}", w.p);
}

}  // namespace

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

Report build_report(const RunStore& store, const ReportOptions& o, const std::vector<PublishedRow>& published) {
  Report report;
  report.options = o;
  RunFilter filter;
  filter.suite = o.suite;
  filter.status = "done";
  auto runs = store.list_runs(filter);  // newest first

  struct Seen {
    RunRecord run;
    std::map<std::string, double> metrics;
  };
  // (dataset, model) -> label -> bits -> seed -> newest run
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::map<std::pair<int, int>, std::map<int64_t, Seen>>>> grid;
  std::map<std::string, RunRecord> label_run;
  for (const auto& r : runs) {
    if (!o.methods.empty() && std::find(o.methods.begin(), o.methods.end(), r.key.method) == o.methods.end()) continue;
    BitWidth b{r.key.w_bits, r.key.a_bits};
    if (!o.bits.empty() && std::find(o.bits.begin(), o.bits.end(), b) == o.bits.end()) continue;
    auto metrics = store.metrics(r.id);
    if (!metrics.count(o.metric)) continue;
    auto label = row_label(r.key.method, metrics);
    auto& by_seed = grid[{r.key.dataset, r.key.model}][label][{b.w, b.a}];
    if (by_seed.count(r.key.seed)) continue;  // an older run of the same cell
    by_seed[r.key.seed] = {r, metrics};
    label_run.emplace(label, r);
    ++report.runs;
  }

  for (auto& [dm, rows] : grid) {
    ReportGroup g;
    g.dataset = dm.first;
    g.model = dm.second;
    std::set<std::pair<int, int>> cols;
    for (auto& [label, by_bits] : rows)
      for (auto& [b, seeds] : by_bits) cols.insert(b);
    for (auto& b : cols) g.columns.push_back({b.first, b.second});
    std::sort(g.columns.begin(), g.columns.end(), [](const BitWidth& x, const BitWidth& y) {
      return std::make_pair(x.w, x.a) < std::make_pair(y.w, y.a);
    });
    for (const auto& p : published)
      if (p.dataset == g.dataset && p.model == g.model && p.method == "fp") g.fp_published = p;

    for (const auto& col : g.columns) {
      std::map<std::string, std::vector<double>> values;
      for (auto& [label, by_bits] : rows) {
        auto it = by_bits.find({col.w, col.a});
        if (it == by_bits.end()) continue;
        for (auto& [seed, seen] : it->second)
          for (const auto& k : kDeploymentKeys)
            if (seen.metrics.count(k)) values[k].push_back(seen.metrics.at(k));
      }
      std::map<std::string, Summary> summary;
      for (const auto& [k, v] : values) summary[k] = summarize(v);
      g.deployment.push_back(summary);
    }
    for (auto& [label, by_bits] : rows) {
      ReportRow row;
      row.label = label;
      row.method = label_run.at(label).key.method;
      row.paper = label_run.at(label).paper;
      row.year = label_run.at(label).year;
      for (const auto& col : g.columns) {
        ReportCell cell;
        cell.bits = col;
        auto it = by_bits.find({col.w, col.a});
        std::vector<double> vsel, vbest;
        if (it != by_bits.end()) {
          for (auto& [seed, seen] : it->second) {
            cell.values.push_back(seen.metrics.at(o.metric));
            cell.seeds.push_back(seed);
            cell.run_ids.push_back(seen.run.id);
            if (seen.metrics.count("top1_val_selected")) vsel.push_back(seen.metrics.at("top1_val_selected"));
            if (seen.metrics.count("top1_best_test")) vbest.push_back(seen.metrics.at("top1_best_test"));
            if (seen.metrics.count("fp_top1") && !g.fp_top1) g.fp_top1 = seen.metrics.at("fp_top1");
          }
        }
        cell.summary = summarize(cell.values);
        cell.val_selected = summarize(vsel);
        cell.best_test = summarize(vbest);
        for (const auto& p : published)
          if (p.dataset == g.dataset && p.model == g.model && p.method == row.method && p.w_bits == col.w &&
              p.a_bits == col.a)
            cell.published = p;
        row.cells.push_back(cell);
      }
      // Curves of the lowest bit-width's lowest seed, for the plots.
      for (const auto& cell : row.cells)
        if (!cell.run_ids.empty()) {
          row.sample_bits = cell.bits;
          row.sample_curves = store.curves(cell.run_ids.front());
          break;
        }
      g.rows.push_back(std::move(row));
    }
    // Row order: the given method order, then by name.
    auto rank = [&](const ReportRow& r) {
      auto it = std::find(o.method_order.begin(), o.method_order.end(), r.method);
      return std::make_pair(static_cast<long>(it - o.method_order.begin()), r.label);
    };
    std::sort(g.rows.begin(), g.rows.end(), [&](const ReportRow& a, const ReportRow& b) { return rank(a) < rank(b); });
    // Welch's t-test of every row against the baseline row, per column.
    const ReportRow* base = nullptr;
    for (const auto& r : g.rows)
      if (r.method == o.baseline) base = &r;
    if (base)
      for (auto& r : g.rows) {
        if (&r == base) continue;
        for (size_t c = 0; c < r.cells.size(); ++c) r.cells[c].vs_baseline = welch_t_test(r.cells[c].values, base->cells[c].values);
      }
    report.groups.push_back(std::move(g));
  }
  return report;
}

std::string render_markdown(const Report& rep) {
  const auto& o = rep.options;
  std::string s;
  if (rep.groups.empty())
    return fmt::format("No finished runs with metric '{}' in suite '{}'.\n", o.metric, o.suite);
  bool any_published = false, any_rerun = false;
  for (const auto& g : rep.groups) {
    s += fmt::format("### {} / {}: {} (%), mean ± std over seeds (n)\n\n", g.dataset, g.model,
                     o.metric == "top1" ? "final-epoch test top-1" : o.metric);
    s += "| method | year |";
    for (const auto& c : g.columns) s += fmt::format(" {} |", bits_name(c));
    s += "\n|---|---|";
    for (size_t i = 0; i < g.columns.size(); ++i) s += "---|";
    s += "\n";
    for (const auto& r : g.rows) {
      s += fmt::format("| {} | {} |", r.label, r.year > 0 ? std::to_string(r.year) : "");
      for (const auto& c : r.cells) {
        std::string cell = c.summary.n == 0 ? "-"
                           : c.summary.n == 1
                               ? fmt::format("{} (1)", fmt_value(c.summary.mean))
                               : fmt::format("{} ± {} ({})", fmt_value(c.summary.mean), fmt_value(c.summary.std),
                                             c.summary.n);
        if (c.published) {
          cell += fmt::format(" · paper {:.2f}{}", c.published->top1, c.published->rerun ? "†" : "*");
          any_published = true;
          any_rerun |= c.published->rerun;
        }
        auto p = p_text(c.vs_baseline);
        if (!p.empty()) cell += " · " + p;
        s += " " + cell + " |";
      }
      s += "\n";
    }
    if (g.fp_top1 || g.fp_published) {
      s += "| full precision (teacher) | |";
      for (size_t i = 0; i < g.columns.size(); ++i) {
        std::string cell = g.fp_top1 ? fmt_value(*g.fp_top1) : "-";
        if (g.fp_published) cell += fmt::format(" · paper {:.2f}*", g.fp_published->top1);
        s += " " + cell + " |";
      }
      s += "\n";
    }
    s += "\n";
  }
  // Deployment figures per bit-width.
  for (const auto& g : rep.groups) {
    bool any = false;
    for (const auto& d : g.deployment) any |= d.count("weight_bytes_packed") > 0;
    if (!any) continue;
    s += fmt::format("#### {} / {}: what quantization buys (means over the runs of each column)\n\n", g.dataset,
                     g.model);
    s += "| bits | weights fp32 (KiB) | packed (KiB) | packed file (KiB) | latency b1 fp32 / fake-quant / int8 (ms) | "
         "latency b64 fp32 / fake-quant / int8 (ms) | int8 top-1 | peak RSS (MiB) |\n"
         "|---|---|---|---|---|---|---|---|\n";
    for (size_t i = 0; i < g.columns.size(); ++i) {
      const auto& d = g.deployment[i];
      auto get = [&](const char* k, double div) {
        return d.count(k) ? fmt::format("{:.1f}", d.at(k).mean / div) : std::string("-");
      };
      auto ms = [&](const std::string& k) { return d.count(k) ? fmt::format("{:.2f}", d.at(k).mean) : "-"; };
      auto latencies = [&](int batch) {
        return fmt::format("{} / {} / {}", ms(fmt::format("latency_ms_p50_fp32_b{}", batch)),
                           ms(fmt::format("latency_ms_p50_fakequant_b{}", batch)),
                           ms(fmt::format("latency_ms_p50_int8_b{}", batch)));
      };
      s += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", bits_name(g.columns[i]),
                       get("weight_bytes_fp32", 1024), get("weight_bytes_packed", 1024), get("packed_file_bytes", 1024),
                       latencies(1), latencies(64), ms("int8_top1"),
                       d.count("peak_rss_bytes") ? fmt::format("{:.0f}", d.at("peak_rss_bytes").max / 1048576.0) : "-");
    }
    s += "\nPacked: b-bit weight codes plus an fp32 scale and zero point per output channel; biases and BatchNorm "
         "fp32. Latency: median of 20 timed forward passes; the fake-quantized student runs in fp32 (it simulates "
         "the integer model, it is not one). int8: the student exported to LibTorch's quantized ONEDNN kernels "
         "(BatchNorm folded, int8 weights, uint8 activations, float classifier); students below 8 bits run on "
         "these 8-bit kernels with their b-bit values, so their int8 latency is the 8-bit latency. Its test top-1 "
         "differs from the student's where the integer model quantizes a tensor the student keeps in float "
         "(input image, residual branch before the addition).\n\n";
  }
  s += fmt::format("Cells: mean ± sample std over seeds (n runs), the newest finished run per seed; metric `{}`.",
                   o.metric);
  if (o.metric == "top1") s += " Ours is the final epoch's test accuracy (no selection on the test set).";
  s += fmt::format(" p: two-sided Welch's t-test against {} in the same column (shown where both have n >= 2).\n",
                   o.baseline);
  if (any_published)
    s += "\n\\* Published numbers (results/paper/published.csv, from the AdaDFQ paper's main table) are the best "
         "test accuracy over all epochs of one seed, on CIFAR/ImageNet: optimistic, and not comparable "
         "number-for-number with a different data set.\n";
  if (any_rerun) s += "† Baseline re-run by the AdaDFQ authors.\n";
  return s;
}

std::string render_csv(const Report& rep) {
  std::string s =
      "dataset,model,method,label,w_bits,a_bits,metric,n,mean,std,min,max,seeds,val_selected_mean,best_test_mean,"
      "published,published_rerun,baseline,p_value\n";
  auto q = [](const std::string& t) { return "\"" + t + "\""; };
  for (const auto& g : rep.groups)
    for (const auto& r : g.rows)
      for (const auto& c : r.cells) {
        if (c.summary.n == 0) continue;
        std::string seeds;
        for (auto sd : c.seeds) seeds += (seeds.empty() ? "" : " ") + std::to_string(sd);
        s += fmt::format("{},{},{},{},{},{},{},{},{:.4f},{:.4f},{:.4f},{:.4f},{},{},{},{},{},{},{}\n", g.dataset, g.model,
                         r.method, q(r.label), c.bits.w, c.bits.a, rep.options.metric, c.summary.n, c.summary.mean,
                         c.summary.std, c.summary.min, c.summary.max, q(seeds),
                         c.val_selected.n ? fmt::format("{:.4f}", c.val_selected.mean) : "",
                         c.best_test.n ? fmt::format("{:.4f}", c.best_test.mean) : "",
                         c.published ? fmt::format("{:.2f}", c.published->top1) : "",
                         c.published ? (c.published->rerun ? "1" : "0") : "", rep.options.baseline,
                         c.vs_baseline.valid ? fmt::format("{:.6g}", c.vs_baseline.p) : "");
      }
  return s;
}

std::string render_bits_plot(const ReportGroup& g, const std::string& metric) {
  std::vector<PlotSeries> series;
  PlotOptions o;
  o.width = 520;
  o.title = fmt::format("{} / {}: {} against bit-width", g.dataset, g.model, metric);
  o.x_label = "weight/activation bits";
  o.y_label = metric + " (%)";
  for (size_t i = 0; i < g.columns.size(); ++i) o.x_ticks.emplace_back(static_cast<double>(i), bits_name(g.columns[i]));
  for (const auto& r : g.rows) {
    PlotSeries s;
    s.name = r.label;
    for (size_t i = 0; i < r.cells.size(); ++i) {
      if (r.cells[i].summary.n == 0) continue;
      s.x.push_back(static_cast<double>(i));
      s.y.push_back(r.cells[i].summary.mean);
      s.err.push_back(r.cells[i].summary.std);
    }
    if (!s.x.empty()) series.push_back(s);
  }
  if (g.fp_top1) {
    PlotSeries fp;
    fp.name = "full precision";
    fp.dashed = true;
    fp.x = {0.0, static_cast<double>(std::max<size_t>(1, g.columns.size()) - 1)};
    fp.y = {*g.fp_top1, *g.fp_top1};
    series.push_back(fp);
  }
  return svg_line_plot(series, o);
}

namespace {

// One plot of per-epoch curves `keys` for one row.
std::string curves_plot(const ReportRow& r, const std::vector<std::string>& keys, const std::string& title,
                        const std::string& y_label) {
  std::vector<PlotSeries> series;
  for (const auto& k : keys) {
    PlotSeries s;
    s.name = k;
    for (const auto& p : r.sample_curves)
      if (p.key == k) {
        s.x.push_back(static_cast<double>(p.step));
        s.y.push_back(p.value);
      }
    if (s.x.size() > 1) series.push_back(s);  // one epoch (post-training methods): nothing to plot
  }
  if (series.empty()) return "";
  PlotOptions o;
  o.width = 520;
  o.title = fmt::format("{} {}: {}", r.label, bits_name(r.sample_bits), title);
  o.x_label = "epoch";
  o.y_label = y_label;
  return svg_line_plot(series, o);
}

}  // namespace

std::string render_html(const Report& rep) {
  std::string s = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dfqbench report</title>
<style>
body{font-family:sans-serif;max-width:1100px;margin:24px auto;color:#222;padding:0 12px}
table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}.pub{color:#777;font-size:90%}
.p{color:#555;font-size:85%}.fp td{font-style:italic}
.plots{display:flex;flex-wrap:wrap;gap:8px}.plots svg{border:1px solid #eee}
.note{font-size:90%;color:#444}
</style></head><body>
)";
  const auto& o = rep.options;
  s += fmt::format("<h1>dfqbench report: suite <code>{}</code></h1>\n", xml_escape(o.suite));
  s += fmt::format("<p class=\"note\">{} finished runs. Cells: mean &plusmn; sample std over seeds (n), metric "
                   "<code>{}</code>{}; p: two-sided Welch's t-test against <code>{}</code>. Published numbers "
                   "(grey) are best-on-test over epochs, one seed, from the AdaDFQ paper's main table.</p>\n",
                   rep.runs, xml_escape(o.metric), o.metric == "top1" ? " (final epoch, test set)" : "",
                   xml_escape(o.baseline));
  for (const auto& g : rep.groups) {
    s += fmt::format("<h2>{} / {}</h2>\n<table><tr><th>method</th><th>year</th>", xml_escape(g.dataset),
                     xml_escape(g.model));
    for (const auto& c : g.columns) s += fmt::format("<th>{}</th>", bits_name(c));
    s += "</tr>\n";
    for (const auto& r : g.rows) {
      s += fmt::format("<tr><td title=\"{}\">{}</td><td>{}</td>", xml_escape(r.paper), xml_escape(r.label),
                       r.year > 0 ? std::to_string(r.year) : "");
      for (const auto& c : r.cells) {
        std::string cell = c.summary.n == 0 ? "-"
                           : fmt::format("{}{} ({})", fmt_value(c.summary.mean),
                                         c.summary.n > 1 ? " &plusmn; " + fmt_value(c.summary.std) : "", c.summary.n);
        if (c.published)
          cell += fmt::format("<br><span class=\"pub\">paper {:.2f}{}</span>", c.published->top1,
                              c.published->rerun ? "&dagger;" : "");
        auto p = p_text(c.vs_baseline);
        if (!p.empty()) cell += "<br><span class=\"p\">" + xml_escape(p) + "</span>";
        s += "<td>" + cell + "</td>";
      }
      s += "</tr>\n";
    }
    if (g.fp_top1) {
      s += "<tr class=\"fp\"><td>full precision (teacher)</td><td></td>";
      for (size_t i = 0; i < g.columns.size(); ++i) s += "<td>" + fmt_value(*g.fp_top1) + "</td>";
      s += "</tr>\n";
    }
    s += "</table>\n<div class=\"plots\">\n" + render_bits_plot(g, o.metric);
    for (const auto& r : g.rows) {
      s += curves_plot(r, {"h_p10", "h_p50", "h_p90", "h_mean"}, "normalised disagreement entropy h'", "h'");
      s += curves_plot(r, {"val_mismatch", "gen_mismatch"}, "P/Q top-1 mismatch", "% of images");
      s += curves_plot(r, {"test_top1", "val_top1"}, "accuracy per epoch", "top-1 (%)");
      std::vector<std::string> losses;
      for (const auto& p : r.sample_curves)
        if ((p.key.rfind("g_", 0) == 0 || p.key.rfind("q_", 0) == 0) &&
            std::find(losses.begin(), losses.end(), p.key) == losses.end())
          losses.push_back(p.key);
      s += curves_plot(r, losses, "loss terms (epoch means)", "loss");
    }
    s += "</div>\n";
  }
  s += "</body></html>\n";
  return s;
}

}  // namespace dfq
