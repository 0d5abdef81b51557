#include "reports/study.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "reports/format.h"
#include "reports/report.h"

namespace dfq {

std::vector<StudyVariant> study_variants(const RunStore& store, const std::string& suite,
                                         const std::vector<StudyVariant>& known) {
  const std::string prefix = suite + "@";
  std::set<std::string> stored;
  for (const auto& r : store.list_runs())
    if (r.key.suite.size() > prefix.size() && r.key.suite.compare(0, prefix.size(), prefix) == 0)
      stored.insert(r.key.suite.substr(prefix.size()));
  std::vector<StudyVariant> out;
  for (const auto& v : known)
    if (stored.erase(v.name)) out.push_back(v);
  for (const auto& name : stored) out.push_back({name, ""});
  return out;
}

Study build_study(const RunStore& store, const std::string& suite, const std::vector<StudyVariant>& variants,
                  const std::string& metric, const std::vector<std::string>& method_order,
                  const std::function<std::function<std::string(const RunRecord&)>(const std::string&)>&
                      mismatch_for) {
  Study study;
  study.suite = suite;
  study.metric = metric;
  study.variants = variants;
  // (data set, model) -> (bits, method rank, label) -> one cell per variant
  using RowKey = std::tuple<int, int, long, std::string>;
  std::map<std::pair<std::string, std::string>, std::map<RowKey, StudyRow>> groups;
  std::vector<RunRecord> used;
  for (size_t v = 0; v < variants.size(); ++v) {
    ReportOptions o;
    o.suite = variant_suite_name(suite, variants[v].name);
    o.metric = metric;
    o.baseline = "";
    o.method_order = method_order;
    if (mismatch_for) o.mismatch = mismatch_for(o.suite);
    const auto report = build_report(store, o, {});
    study.runs += report.runs;
    for (const auto& sel : report.selected) used.push_back(sel.run);
    if (report.left_out.runs > 0 && study.left_out.runs == 0) study.left_out = report.left_out;
    else study.left_out.runs += report.left_out.runs;
    for (const auto& g : report.groups)
      for (const auto& r : g.rows) {
        const long rank = std::find(method_order.begin(), method_order.end(), r.method) - method_order.begin();
        for (const auto& c : r.cells) {
          if (c.summary.n == 0) continue;
          auto& row = groups[{g.dataset, g.model}][{c.bits.w, c.bits.a, rank, r.label}];
          row.label = r.label;
          row.bits = c.bits;
          row.cells.resize(variants.size());
          row.cells[v] = {c.values, c.seeds, c.summary, c.diverged, c.images, c.seconds};
        }
      }
  }
  for (auto& [dm, rows] : groups) {
    StudyGroup g;
    g.dataset = dm.first;
    g.model = dm.second;
    for (auto& [key, row] : rows) {
      if (g.bits.empty() || !(g.bits.back() == row.bits)) g.bits.push_back(row.bits);
      g.rows.push_back(std::move(row));
    }
    study.groups.push_back(std::move(g));
  }
  study.provenance = collect_provenance(store.path(), used);
  return study;
}

namespace {

std::string study_cell_text(const StudyCell& c) {
  if (c.summary.n == 0) return "-";
  std::string s = c.summary.n == 1 ? fmt::format("{} (1)", fmt_value(c.summary.mean))
                                   : fmt::format("{} ± {} ({}; {}–{})", fmt_value(c.summary.mean),
                                                 fmt_value(c.summary.std), c.summary.n, fmt_value(c.summary.min),
                                                 fmt_value(c.summary.max));
  if (c.diverged > 0) s += fmt::format(" · {} diverged‡", c.diverged);
  return s;
}

// "adasg 88.1 > gdfq 87.2 (p=0.041)": the rows of one bit-width ranked by mean in one
// variant, with Welch's p between neighbours.
std::string ranking_text(const std::vector<const StudyRow*>& rows, size_t v) {
  std::vector<const StudyRow*> ranked;
  for (const auto* r : rows)
    if (r->cells[v].summary.n > 0) ranked.push_back(r);
  std::stable_sort(ranked.begin(), ranked.end(), [&](const StudyRow* a, const StudyRow* b) {
    return a->cells[v].summary.mean > b->cells[v].summary.mean;
  });
  std::string s;
  for (size_t i = 0; i < ranked.size(); ++i) {
    if (i > 0) {
      const auto w = welch_t_test(ranked[i - 1]->cells[v].values, ranked[i]->cells[v].values);
      const auto p = p_text(w);
      s += p.empty() ? " > " : fmt::format(" > ({}) ", p);
    }
    s += fmt::format("{} {}", ranked[i]->label, fmt_value(ranked[i]->cells[v].summary.mean));
  }
  return s.empty() ? "-" : s;
}

// "240k · 71 (68–75)": a cell's images seen and wall minutes per run, as far as its runs
// recorded them ("-": neither; runs older than the images metric give minutes alone).
std::string cost_text(const StudyCell& c) {
  if (c.summary.n == 0) return "-";
  std::string images = c.images.n > 0 ? count_text(c.images.mean) : "", minutes;
  if (c.seconds.n == 1) minutes = fmt::format("{:.0f}", c.seconds.mean / 60);
  if (c.seconds.n > 1)
    minutes = fmt::format("{:.0f} ({:.0f}–{:.0f})", c.seconds.mean / 60, c.seconds.min / 60, c.seconds.max / 60);
  if (images.empty() && minutes.empty()) return "-";
  return (images.empty() ? "-" : images) + " · " + (minutes.empty() ? "-" : minutes);
}

// A group's table: a row per (bit-width, method), a column per variant, each cell as `text`
// writes it. The accuracy table and the cost table are both this one.
std::string variant_table(const StudyGroup& g, const std::vector<StudyVariant>& variants,
                          const std::function<std::string(const StudyCell&)>& text) {
  std::string s = "| bits | method |";
  for (const auto& v : variants) s += fmt::format(" {} |", v.name);
  s += "\n|---|---|";
  for (size_t i = 0; i < variants.size(); ++i) s += "---|";
  s += "\n";
  for (const auto& r : g.rows) {
    s += fmt::format("| {} | {} |", bits_name(r.bits), r.label);
    for (const auto& c : r.cells) s += " " + text(c) + " |";
    s += "\n";
  }
  return s;
}

// The study's cost beside its accuracy: what a table at each variant would cost per cell.
std::string cost_table(const StudyGroup& g, const std::vector<StudyVariant>& variants) {
  bool any = false;
  for (const auto& r : g.rows)
    for (const auto& c : r.cells) any |= c.summary.n > 0 && (c.images.n > 0 || c.seconds.n > 0);
  if (!any) return "";
  return "Cost per run (mean over seeds): images seen · wall minutes (min–max):\n\n" +
         variant_table(g, variants, cost_text) +
         "\nWall minutes depend on the machine and on what else ran beside each run (see the provenance "
         "below); images seen do not.\n\n";
}

}  // namespace

std::string render_study_markdown(const Study& st) {
  std::string s = fmt::format("## Study {}: {} by variant\n\n", st.suite,
                              st.metric == "top1" ? "final-epoch test top-1 (%)" : st.metric);
  if (st.groups.empty()) return s + fmt::format("No finished runs of any variant of suite '{}'.\n", st.suite);
  s += "Variants (each a copy of the suite's grid with these settings):\n\n";
  for (const auto& v : st.variants)
    s += fmt::format("- `{}`: {}\n", v.name, v.settings.empty() ? "(not in the suite file)" : v.settings);
  s += "\nCells: mean ± sample std over seeds (n; min–max).\n\n";
  bool diverged = false;
  for (const auto& g : st.groups) {
    s += fmt::format("### {} / {}\n\n", g.dataset, g.model) + variant_table(g, st.variants, study_cell_text);
    for (const auto& r : g.rows)
      for (const auto& c : r.cells) diverged |= c.diverged > 0;
    s += "\nRanking per variant (Welch's p between neighbours):\n\n";
    for (const auto& b : g.bits) {
      std::vector<const StudyRow*> rows;
      for (const auto& r : g.rows)
        if (r.bits == b) rows.push_back(&r);
      for (size_t v = 0; v < st.variants.size(); ++v)
        s += fmt::format("- {} `{}`: {}\n", bits_name(b), st.variants[v].name, ranking_text(rows, v));
    }
    s += "\n" + cost_table(g, st.variants);
  }
  if (diverged)
    s += "‡ diverged: a non-finite loss ended that run's training; it reports its last evaluated epoch.\n\n";
  const auto left = left_out_text(st.left_out.runs, st.left_out.example_run, st.left_out.example_why);
  return s + fmt::format("{} runs.{}\n\n", st.runs, left.empty() ? "" : " " + left) +
         render_provenance_markdown(st.provenance);
}

std::string render_study_csv(const Study& st) {
  std::string s =
      "dataset,model,label,w_bits,a_bits,variant,settings,metric,n,mean,std,min,max,seeds,values,diverged,"
      "images_mean,seconds_mean\n";
  for (const auto& g : st.groups)
    for (const auto& r : g.rows)
      for (size_t v = 0; v < r.cells.size(); ++v) {
        const auto& c = r.cells[v];
        if (c.summary.n == 0) continue;
        std::string seeds, values;
        for (size_t i = 0; i < c.values.size(); ++i) {
          seeds += (i ? " " : "") + std::to_string(c.seeds[i]);
          values += (i ? " " : "") + fmt::format("{:.4f}", c.values[i]);
        }
        s += fmt::format("{},{},{},{},{},{},{},{},{},{:.4f},{:.4f},{:.4f},{:.4f},{},{},{},{},{}\n", csv_field(g.dataset),
                         csv_field(g.model), csv_field(r.label), r.bits.w, r.bits.a, csv_field(st.variants[v].name),
                         csv_field(st.variants[v].settings), csv_field(st.metric), c.summary.n, c.summary.mean,
                         c.summary.std, c.summary.min, c.summary.max, csv_field(seeds), csv_field(values), c.diverged,
                         c.images.n > 0 ? fmt::format("{:.0f}", c.images.mean) : "",
                         c.seconds.n > 0 ? fmt::format("{:.1f}", c.seconds.mean) : "");
      }
  return s;
}

}  // namespace dfq
