// The self-contained HTML report (inline CSS, SVG plots of top-1 against bit-width and of
// per-epoch curves) and the standalone top-1-against-bits SVG.
#include <fmt/format.h>

#include <algorithm>

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

// The per-epoch plots of one row's sample run: h' percentiles, P/Q mismatch, accuracy,
// loss terms.
std::string row_plots(const ReportRow& r) {
  std::string s = curves_plot(r, {"h_p10", "h_p50", "h_p90", "h_mean"}, "normalised disagreement entropy h'", "h'");
  s += curves_plot(r, {"val_mismatch", "gen_mismatch"}, "P/Q top-1 mismatch", "% of images");
  s += curves_plot(r, {"test_top1", "val_top1"}, "accuracy per epoch", "top-1 (%)");
  std::vector<std::string> losses;
  for (const auto& p : r.sample_curves)
    if ((p.key.rfind("g_", 0) == 0 || p.key.rfind("q_", 0) == 0) &&
        std::find(losses.begin(), losses.end(), p.key) == losses.end())
      losses.push_back(p.key);
  return s + curves_plot(r, losses, "loss terms (epoch means)", "loss");
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
  }
  s += appendix;
  s += render_provenance_html(rep.provenance);
  s += "</body></html>\n";
  return s;
}

}  // namespace dfq
