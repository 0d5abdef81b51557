// The self-contained HTML report (inline CSS, SVG plots of top-1 against bit-width and of
// per-epoch curves) and the standalone top-1-against-bits SVG.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "reports/format.h"
#include "reports/report.h"
#include "reports/svg.h"

namespace dfq {

std::string render_bits_plot(const ReportGroup& g, const std::string& metric) {
  CategoryPlotOptions o;
  o.title = fmt::format("{} / {}: {} against bit-width", g.dataset, g.model, metric);
  o.y_label = metric + " (%)";
  for (const auto& c : g.columns) o.categories.push_back(bits_name(c));
  std::vector<CategorySeries> series;
  for (const auto& r : g.rows) {
    CategorySeries s;
    s.name = r.label;
    s.method = r.method;
    for (size_t i = 0; i < r.cells.size(); ++i) {
      const auto& c = r.cells[i];
      if (c.summary.n == 0) continue;
      s.cells.push_back({i, c.summary.mean, c.summary.n > 1 ? c.summary.std : 0.0, c.values});
    }
    if (!s.cells.empty()) series.push_back(s);
  }
  if (g.fp_top1) {
    o.reference = *g.fp_top1;
    o.reference_label = "full precision";
  }
  return svg_category_plot(series, o);
}

namespace {

// One plot of per-epoch curves `keys` for one row: the mean over its seeds with a band of
// their range (one seed: its line alone).
std::string curves_plot(const ReportRow& r, const std::vector<std::string>& keys, const std::string& title,
                        const std::string& y_label, const std::vector<std::pair<double, std::string>>& y_lines = {},
                        int width = 520, int height = 340, bool legend = true) {
  std::vector<PlotSeries> series;
  int seeds = 0;
  for (const auto& k : keys)
    for (const auto& b : r.sample_bands) {
      if (b.key != k || b.steps.size() < 2) continue;  // one epoch (post-training methods): nothing to plot
      PlotSeries s;
      s.name = k;
      for (size_t i = 0; i < b.steps.size(); ++i) s.x.push_back(static_cast<double>(b.steps[i]));
      s.y = b.mean;
      if (b.runs > 1) s.lo = b.lo, s.hi = b.hi;
      seeds = std::max(seeds, b.runs);
      series.push_back(std::move(s));
    }
  if (series.empty()) return "";
  PlotOptions o;
  o.width = width;
  o.height = height;
  o.title = fmt::format("{} {}: {}", r.label, bits_name(r.sample_bits), title);
  o.x_label = seeds > 1 ? fmt::format("epoch ({} seeds: mean, band min-max)", seeds) : "epoch";
  o.y_label = y_label;
  o.y_lines = y_lines;
  o.legend = legend;
  return svg_line_plot(series, o);
}

std::string html_cell(const ReportCell& c) {
  std::string cell = c.summary.n == 0 ? "-"
                     : fmt::format("{}{} ({})", fmt_value(c.summary.mean),
                                   c.summary.n > 1 ? " &plusmn; " + fmt_value(c.summary.std) : "", c.summary.n);
  if (c.published)
    cell += fmt::format("<br><span class=\"pub\">paper {:.2f}{}</span>", c.published->top1,
                        c.published->rerun ? "&dagger;" : "");
  auto p = p_text(c.vs_baseline);
  if (!p.empty()) cell += "<br><span class=\"p\">" + xml_escape(p) + "</span>";
  if (c.diverged > 0)
    cell += fmt::format("<br><span class=\"p\" title=\"a non-finite loss ended training; the run reports its last "
                        "evaluated epoch\">{} diverged</span>",
                        c.diverged);
  return "<td>" + cell + "</td>";
}

// The per-epoch plots of one row at its lowest bit-width: h' percentiles with the game's
// bounds, the share of samples outside them, P/Q mismatch and KL, accuracy, and each loss
// term on its own panel (their scales differ by orders of magnitude).
std::string row_plots(const ReportRow& r) {
  std::vector<std::pair<double, std::string>> bounds;
  if (r.h_bounds) {
    bounds.emplace_back(r.h_bounds->first, fmt::format("lambda_l {:g}", r.h_bounds->first));
    bounds.emplace_back(r.h_bounds->second, fmt::format("lambda_u {:g}", r.h_bounds->second));
  }
  std::string s = curves_plot(r, {"h_p10", "h_p50", "h_p90", "h_mean"}, "normalised disagreement entropy h'", "h'",
                              bounds);
  s += curves_plot(r, {"h_below_lower", "h_above_upper"}, "share of samples outside the bounds", "share", {}, 400,
                   260);
  s += curves_plot(r, {"val_mismatch", "gen_mismatch"}, "P/Q top-1 mismatch", "% of images");
  s += curves_plot(r, {"gen_kl_pq"}, "KL(P || Q) on generated images", "KL", {}, 400, 260);
  s += curves_plot(r, {"test_top1", "val_top1"}, "accuracy per epoch", "top-1 (%)");
  for (const auto& b : r.sample_bands)
    if (b.key.rfind("g_", 0) == 0 || b.key.rfind("q_", 0) == 0)
      s += curves_plot(r, {b.key}, b.key, "epoch mean", {}, 300, 220, false);
  return s;
}

// The deployment view of a group: top-1 against packed model size and against int8 latency
// (batch 1), each method at each bit-width, with the Pareto front; then the deployment table
// (#16 §3). Empty when no run measured the figures.
std::string deployment_html(const ReportGroup& g, const std::string& metric) {
  auto mean = [&](size_t col, const std::string& key) {
    const auto& d = g.deployment[col];
    return d.count(key) ? d.at(key).mean : std::numeric_limits<double>::quiet_NaN();
  };
  if (!has_deployment(g.deployment)) return "";
  std::vector<ScatterPoint> by_size, by_latency;
  for (const auto& r : g.rows)
    for (size_t i = 0; i < r.cells.size() && i < g.deployment.size(); ++i) {
      if (r.cells[i].summary.n == 0) continue;
      const double top1 = r.cells[i].summary.mean;
      by_size.push_back({r.method, bits_name(g.columns[i]), mean(i, "weight_bytes_packed") / 1024, top1});
      by_latency.push_back({r.method, bits_name(g.columns[i]), mean(i, "latency_ms_p50_int8_b1"), top1});
    }
  if (g.fp_top1 && !g.deployment.empty()) {  // the teacher, for scale
    by_size.push_back({"full precision", "fp32", mean(0, "weight_bytes_fp32") / 1024, *g.fp_top1});
    by_latency.push_back({"full precision", "fp32", mean(0, "latency_ms_p50_fp32_b1"), *g.fp_top1});
  }
  ScatterOptions o;
  o.y_label = metric + " (%)";
  o.title = fmt::format("{} / {}: {} against packed weights", g.dataset, g.model, metric);
  o.x_label = "packed weights (KiB: codes, per-channel scales, fp32 biases)";
  std::string s = "<div class=\"plots\">\n" + svg_pareto_plot(by_size, o);
  bool latency = false;
  for (const auto& p : by_latency) latency |= std::isfinite(p.x) && p.method != "full precision";
  if (latency) {
    o.title = fmt::format("{} / {}: {} against int8 latency", g.dataset, g.model, metric);
    o.x_label = "latency, batch 1, median (ms; fp32 for full precision)";
    s += svg_pareto_plot(by_latency, o);
  }
  s += "</div>\n<table><tr><th>bits</th><th>packed weights (KiB)</th><th>packed file (KiB)</th><th>int8 latency b1 "
       "p50 / p95 (ms)</th><th>int8 latency b64 p50 / p95 (ms)</th><th>int8 top-1</th><th>peak RSS (MiB)</th></tr>\n";
  auto num = [](double v, const char* f) { return std::isfinite(v) ? fmt::format(fmt::runtime(f), v) : "-"; };
  for (size_t i = 0; i < g.columns.size() && i < g.deployment.size(); ++i) {
    const auto& d = g.deployment[i];
    const std::string mark = noisy_latency_text(d);
    const std::string noisy = mark.empty() ? "" : " <span class=\"p\">" + mark.substr(1) + "</span>";
    s += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{} / {}{}</td><td>{} / {}{}</td><td>{}</td><td>{}</td>"
                     "</tr>\n",
                     bits_name(g.columns[i]), num(mean(i, "weight_bytes_packed") / 1024, "{:.1f}"),
                     num(mean(i, "packed_file_bytes") / 1024, "{:.1f}"), num(mean(i, "latency_ms_p50_int8_b1"), "{:.2f}"),
                     num(mean(i, "latency_ms_p95_int8_b1"), "{:.2f}"), noisy,
                     num(mean(i, "latency_ms_p50_int8_b64"), "{:.2f}"), num(mean(i, "latency_ms_p95_int8_b64"), "{:.2f}"),
                     noisy, num(mean(i, "int8_top1"), "{:.2f}"),
                     d.count("peak_rss_bytes") ? fmt::format("{:.0f}", d.at("peak_rss_bytes").max / 1048576.0) : "-");
  }
  return s + "</table>\n";
}

// Ticks of a log10 axis over [lo, hi] (log10 values): 1, 2 and 5 times the powers of ten
// inside it, labelled with count_text and `unit`.
std::vector<std::pair<double, std::string>> log_ticks(double lo, double hi, const std::string& unit) {
  std::vector<std::pair<double, std::string>> ticks;
  const bool few_decades = hi - lo < 2;
  for (int e = static_cast<int>(std::floor(lo)); e <= static_cast<int>(std::ceil(hi)); ++e)
    for (const double m : {1.0, 2.0, 5.0}) {
      if (m != 1.0 && !few_decades) continue;
      const double v = std::log10(m) + e;
      if (v >= lo - 1e-9 && v <= hi + 1e-9) ticks.emplace_back(v, count_text(m * std::pow(10.0, e)) + unit);
    }
  return ticks;
}

// Test top-1 per epoch of each row at its lowest bit-width against a cost curve of the same
// runs (`cost_key`: images_seen or wall_seconds), on a log axis: the mean over the seeds, with the
// band of their top-1 range. Empty when no row recorded the cost.
std::string compute_plot(const ReportGroup& g, const std::string& cost_key, const std::string& title,
                         const std::string& x_label, const std::string& unit) {
  std::vector<PlotSeries> series;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& r : g.rows) {
    const CurveBand *top1 = nullptr, *cost = nullptr;
    for (const auto& b : r.sample_bands) {
      if (b.key == "test_top1") top1 = &b;
      if (b.key == cost_key) cost = &b;
    }
    if (!top1 || !cost) continue;
    std::map<int64_t, double> x_at;
    for (size_t i = 0; i < cost->steps.size(); ++i)
      if (cost->mean[i] > 0) x_at[cost->steps[i]] = std::log10(cost->mean[i]);
    PlotSeries se;
    se.name = r.label + " " + bits_name(r.sample_bits);
    se.colour = method_style(r.method).colour;
    for (size_t i = 0; i < top1->steps.size(); ++i) {
      const auto it = x_at.find(top1->steps[i]);
      if (it == x_at.end()) continue;
      se.x.push_back(it->second);
      se.y.push_back(top1->mean[i]);
      se.lo.push_back(top1->lo[i]);
      se.hi.push_back(top1->hi[i]);
      lo = std::min(lo, it->second);
      hi = std::max(hi, it->second);
    }
    if (!se.x.empty()) series.push_back(std::move(se));
  }
  if (series.empty()) return "";
  PlotOptions o;
  o.title = fmt::format("{} / {}: {}", g.dataset, g.model, title);
  o.x_label = x_label;
  o.y_label = "test top-1 (%)";
  const double pad = (hi - lo) * 0.05;  // as the plot pads its x range
  o.x_ticks = log_ticks(lo - pad, hi + pad, unit);
  o.width = 620;
  return svg_line_plot(series, o);
}

// The compute view of a group: top-1 against images seen and against wall time, then the
// compute table (#13 §4). Empty when no run recorded its images.
std::string compute_html(const ReportGroup& g) {
  const auto lines = compute_lines(g);
  if (lines.empty()) return "";
  std::string s = fmt::format("<h3>{} / {}: top-1 against compute</h3>\n<div class=\"plots\">\n",
                              xml_escape(g.dataset), xml_escape(g.model));
  s += compute_plot(g, "images_seen", "top-1 against images seen", "images seen (log scale; per epoch)", "");
  s += compute_plot(g, "wall_seconds", "top-1 against wall time", "wall time (log scale; per epoch)", " s");
  s += "</div>\n<table><tr><th>method</th><th>bits</th><th>batch</th><th>images seen</th><th>wall time (s)</th>"
       "<th>threads per run</th><th>images/s</th><th>top-1</th></tr>\n";
  for (const auto& l : lines) {
    auto fields = compute_fields(l, "&ndash;", " &plusmn; ");
    fields[0] = xml_escape(fields[0]);
    s += "<tr>";
    for (const auto& f : fields) s += "<td>" + f + "</td>";
    s += "</tr>\n";
  }
  return s + "</table>\n<p class=\"note\">" + xml_escape(kComputeNote) + "</p>\n";
}

// How the group's runs depart from the official code, as they recorded it.
std::string deviations_html(const ReportGroup& g) {
  std::string items;
  for (const auto& r : g.rows)
    for (const auto& n : r.notes) items += "<li><b>" + xml_escape(r.label) + "</b>: " + xml_escape(n) + "</li>\n";
  if (items.empty()) return "";
  return "<p class=\"note\">Where these runs differ from the official code:</p>\n<ul class=\"note\">\n" + items +
         "</ul>\n";
}

}  // namespace

std::string render_html(const Report& rep, const std::string& appendix) {
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
  const auto left = left_out_text(rep.left_out.runs, rep.left_out.example_run, rep.left_out.example_why);
  if (!left.empty()) s += "<p class=\"note\">" + xml_escape(left) + "</p>\n";
  for (const auto& g : rep.groups) {
    s += fmt::format("<h2>{} / {}</h2>\n<table><tr><th>method</th><th>year</th>", xml_escape(g.dataset),
                     xml_escape(g.model));
    for (const auto& c : g.columns) s += fmt::format("<th>{}</th>", bits_name(c));
    s += "</tr>\n";
    for (const auto& r : g.rows) {
      s += fmt::format("<tr><td title=\"{}\">{}</td><td>{}</td>", xml_escape(r.paper), xml_escape(r.label),
                       r.year > 0 ? std::to_string(r.year) : "");
      for (const auto& c : r.cells) s += html_cell(c);
      s += "</tr>\n";
    }
    if (g.fp_top1) {
      s += "<tr class=\"fp\"><td>full precision (teacher)</td><td></td>";
      for (size_t i = 0; i < g.columns.size(); ++i) s += "<td>" + fmt_value(*g.fp_top1) + "</td>";
      s += "</tr>\n";
    }
    s += "</table>\n" + deviations_html(g) + "<div class=\"plots\">\n" + render_bits_plot(g, o.metric);
    for (const auto& r : g.rows) s += row_plots(r);
    s += "</div>\n";
    const auto deployment = deployment_html(g, o.metric);
    if (!deployment.empty())
      s += fmt::format("<h3>{} / {}: deployment (means over the runs of each bit-width)</h3>\n", xml_escape(g.dataset),
                       xml_escape(g.model)) +
           deployment;
    s += compute_html(g);
  }
  s += appendix;
  s += render_provenance_html(rep.provenance);
  s += "</body></html>\n";
  return s;
}

}  // namespace dfq
