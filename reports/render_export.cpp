// Machine-readable exports of a report: one CSV row per run the tables read, and the whole
// report as one JSON document. The per-cell CSV is render_csv (render_text.cpp).
#include <fmt/format.h>

#include <cmath>

#include "reports/format.h"
#include "reports/report.h"

namespace dfq {

namespace {

std::string metric_or_empty(const std::map<std::string, double>& m, const std::string& key) {
  const auto it = m.find(key);
  return it == m.end() || !std::isfinite(it->second) ? "" : fmt::format("{:.6g}", it->second);
}

// JSON has no NaN or infinity: such values are written as null.
nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

nlohmann::json summary_json(const Summary& s) {
  if (s.n == 0) return nullptr;
  return {{"n", s.n}, {"mean", number(s.mean)}, {"std", number(s.std)}, {"min", number(s.min)}, {"max", number(s.max)}};
}

}  // namespace

std::string render_runs_csv(const Report& rep) {
  const auto& metric = rep.options.metric;
  std::string s =
      "run_id,uid,suite,row,method,dataset,model,w_bits,a_bits,seed,metric,value,top1,top1_val,fp_top1,train_seconds,"
      "train_images,status,"
      "started_at,ended_at,host,cpu,threads,device,torch_version,git_sha,git_dirty,build_commit,slurm_job,"
      "merged_from,config_hash\n";
  for (const auto& sel : rep.selected) {
    const auto& r = sel.run;
    const auto& k = r.key;
    const std::vector<std::string> fields = {std::to_string(r.id),
                                             r.uid,
                                             k.suite,
                                             sel.row,
                                             k.method,
                                             k.dataset,
                                             k.model,
                                             std::to_string(k.w_bits),
                                             std::to_string(k.a_bits),
                                             std::to_string(k.seed),
                                             metric,
                                             metric_or_empty(sel.metrics, metric),
                                             metric_or_empty(sel.metrics, "top1"),
                                             metric_or_empty(sel.metrics, "top1_val"),
                                             metric_or_empty(sel.metrics, "fp_top1"),
                                             metric_or_empty(sel.metrics, "train_seconds"),
                                             metric_or_empty(sel.metrics, "train_images"),
                                             r.status,
                                             r.started_at,
                                             r.ended_at,
                                             r.host,
                                             r.cpu,
                                             std::to_string(r.threads),
                                             r.device,
                                             r.torch_version,
                                             r.git_sha,
                                             r.git_dirty ? "1" : "0",
                                             r.build_commit,
                                             r.slurm_job,
                                             r.merged_from,
                                             r.config_hash};
    for (size_t i = 0; i < fields.size(); ++i) s += (i ? "," : "") + csv_field(fields[i]);
    s += "\n";
  }
  return s;
}

nlohmann::json report_json(const Report& rep) {
  const auto& o = rep.options;
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& g : rep.groups) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : g.rows) {
      nlohmann::json cells = nlohmann::json::array();
      for (const auto& c : r.cells) {
        if (c.summary.n == 0) continue;
        nlohmann::json values = nlohmann::json::array();
        for (double v : c.values) values.push_back(number(v));
        nlohmann::json cell = {{"w_bits", c.bits.w},
                               {"a_bits", c.bits.a},
                               {"values", values},
                               {"seeds", c.seeds},
                               {"run_ids", c.run_ids},
                               {"summary", summary_json(c.summary)},
                               {"val_selected", summary_json(c.val_selected)},
                               {"best_test", summary_json(c.best_test)},
                               {"diverged", c.diverged}};
        if (c.images.n > 0)
          cell["compute"] = {{"train_images", summary_json(c.images)}, {"train_seconds", summary_json(c.seconds)},
                             {"threads", c.threads}, {"batch_size", c.batch}};
        cell["published"] = c.published ? nlohmann::json{{"top1", c.published->top1},
                                                         {"rerun", c.published->rerun},
                                                         {"source", c.published->source}}
                                        : nlohmann::json();
        cell["vs_baseline"] = c.vs_baseline.valid ? nlohmann::json{{"baseline", o.baseline},
                                                                   {"t", number(c.vs_baseline.t)},
                                                                   {"df", number(c.vs_baseline.df)},
                                                                   {"p", number(c.vs_baseline.p)}}
                                                  : nlohmann::json();
        cells.push_back(cell);
      }
      rows.push_back({{"method", r.method},
                      {"label", r.label},
                      {"paper", r.paper},
                      {"year", r.year},
                      {"notes", r.notes},
                      {"cells", cells}});
    }
    nlohmann::json deployment = nlohmann::json::array();
    for (size_t i = 0; i < g.columns.size() && i < g.deployment.size(); ++i) {
      nlohmann::json figures = nlohmann::json::object();
      for (const auto& [key, summary] : g.deployment[i]) figures[key] = summary_json(summary);
      deployment.push_back({{"w_bits", g.columns[i].w}, {"a_bits", g.columns[i].a}, {"figures", figures}});
    }
    groups.push_back({{"dataset", g.dataset},
                      {"model", g.model},
                      {"fp_top1", g.fp_top1 ? number(*g.fp_top1) : nlohmann::json()},
                      {"fp_published", g.fp_published ? nlohmann::json(g.fp_published->top1) : nlohmann::json()},
                      {"rows", rows},
                      {"deployment", deployment}});
  }
  return {{"suite", o.suite},
          {"metric", o.metric},
          {"baseline", o.baseline},
          {"runs", rep.runs},
          {"groups", groups},
          {"left_out", {{"runs", rep.left_out.runs},
                        {"example_run", rep.left_out.example_run},
                        {"example_why", rep.left_out.example_why}}},
          {"provenance", provenance_json(rep.provenance)}};
}

}  // namespace dfq
