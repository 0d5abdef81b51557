#include "reports/inspect.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "core/util/error.h"
#include "reports/format.h"

namespace dfq {

namespace {

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// "a.b.c" -> value text, for every leaf of a JSON object.
void flatten(const nlohmann::json& j, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (j.is_object() && !j.empty()) {
    for (const auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
    return;
  }
  out[prefix.empty() ? "(config)" : prefix] = j.is_string() ? j.get<std::string>() : j.dump();
}

std::map<std::string, std::string> flat_config(const RunRecord& r) {
  std::map<std::string, std::string> out;
  const auto j = nlohmann::json::parse(r.config_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) out["(config)"] = r.config_json;
  else flatten(j, "", out);
  return out;
}

std::string value_text(double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : "nan"; }

// How the run was obtained, as (label, value) lines.
std::vector<std::pair<std::string, std::string>> provenance_lines(const RunRecord& r) {
  return {{"status", r.status + (r.error.empty() ? "" : " (" + r.error + ")")},
          {"started", r.started_at},
          {"ended", r.ended_at},
          {"checkout", r.git_sha + (r.git_dirty ? "+dirty" : "")},
          {"binary built from", r.build_commit},
          {"host", r.host},
          {"processor", r.cpu},
          {"threads", std::to_string(r.threads)},
          {"device", r.device},
          {"LibTorch", r.torch_version},
          {"Slurm job", r.slurm_job},
          {"merged from", r.merged_from},
          {"config hash", r.config_hash},
          {"uid", r.uid}};
}

std::string title(const RunRecord& r) {
  return fmt::format("run {}: {} {} {} W{}A{} seed {} (suite {})", r.id, r.key.method, r.key.model, r.key.dataset,
                     r.key.w_bits, r.key.a_bits, r.key.seed, r.key.suite);
}

std::string metric_field(const std::map<std::string, double>& m, const std::string& key) {
  const auto it = m.find(key);
  return it == m.end() || !std::isfinite(it->second) ? "" : fmt::format("{:.6g}", it->second);
}

}  // namespace

RunView load_run_view(const RunStore& store, const std::string& ref) {
  std::optional<RunRecord> run;
  if (all_digits(ref) && ref.size() < 19) {
    run = store.get_run(std::stoll(ref));
  } else if (ref.size() >= 8) {
    for (const auto& r : store.list_runs())
      if (r.uid.compare(0, ref.size(), ref) == 0) {
        if (run)
          throw InvalidInputError(fmt::format("run '{}' is ambiguous: runs {} and {} have uids starting with it; "
                                              "give more digits",
                                              ref, run->id, r.id));
        run = r;
      }
  } else {
    throw InvalidInputError(fmt::format("'{}' is not a run: give a run id (dfq runs lists them) or 8 or more "
                                        "digits of its uid",
                                        ref));
  }
  if (!run) throw InvalidInputError(fmt::format("no run '{}' in {}; dfq runs lists the runs", ref, store.path()));
  return {*run, store.metrics(run->id), store.curves(run->id)};
}

std::vector<CurveSummary> summarize_curves(const std::vector<CurvePoint>& curves) {
  std::map<std::string, std::vector<const CurvePoint*>> by_key;
  for (const auto& p : curves) by_key[p.key].push_back(&p);
  std::vector<CurveSummary> out;
  for (auto& [key, pts] : by_key) {
    std::stable_sort(pts.begin(), pts.end(), [](auto* a, auto* b) { return a->step < b->step; });
    CurveSummary s;
    s.key = key;
    s.n = static_cast<int64_t>(pts.size());
    s.first_step = pts.front()->step;
    s.first = pts.front()->value;
    s.last_step = pts.back()->step;
    s.last = pts.back()->value;
    s.min = s.max = pts.front()->value;
    for (auto* p : pts) {
      if (!std::isfinite(p->value)) continue;
      if (!std::isfinite(s.min) || p->value < s.min) s.min = p->value;
      if (!std::isfinite(s.max) || p->value > s.max) s.max = p->value;
    }
    out.push_back(s);
  }
  return out;
}

nlohmann::json run_json(const RunView& v, bool with_config) {
  const auto& r = v.run;
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [k, x] : v.metrics) metrics[k] = number(x);
  nlohmann::json j = key_json(r.key);
  j.update({{"id", r.id},
            {"uid", r.uid},
            {"status", r.status},
            {"error", r.error},
            {"started_at", r.started_at},
            {"ended_at", r.ended_at},
            {"git_sha", r.git_sha},
            {"git_dirty", r.git_dirty},
            {"build_commit", r.build_commit},
            {"host", r.host},
            {"cpu", r.cpu},
            {"threads", r.threads},
            {"device", r.device},
            {"torch_version", r.torch_version},
            {"slurm_job", r.slurm_job},
            {"merged_from", r.merged_from},
            {"config_hash", r.config_hash},
            {"notes", r.notes},
            {"metrics", metrics}});
  if (with_config) {
    const auto c = nlohmann::json::parse(r.config_json, nullptr, false);
    j["config"] = c.is_discarded() ? nlohmann::json(r.config_json) : c;
  }
  return j;
}

std::string render_run_show(const RunView& v) {
  const auto& r = v.run;
  std::string s = title(r) + "\n\nhow it was obtained\n";
  for (const auto& [label, value] : provenance_lines(r))
    if (!value.empty()) s += fmt::format("  {:<18} {}\n", label, value);
  if (r.notes.is_array() && !r.notes.empty()) {
    s += "\nwhere it departs from the official code\n";
    for (const auto& n : r.notes) s += "  - " + (n.is_string() ? n.get<std::string>() : n.dump()) + "\n";
  }
  s += "\nmetrics\n";
  if (v.metrics.empty()) s += "  (none)\n";
  for (const auto& [k, x] : v.metrics) s += fmt::format("  {:<32} {}\n", k, value_text(x));
  s += "\ncurves (points, first, last, min, max)\n";
  const auto curves = summarize_curves(v.curves);
  if (curves.empty()) s += "  (none)\n";
  for (const auto& c : curves)
    s += fmt::format("  {:<24} {:>5}  step {}: {}  step {}: {}  min {}  max {}\n", c.key, c.n, c.first_step,
                     value_text(c.first), c.last_step, value_text(c.last), value_text(c.min), value_text(c.max));
  s += "\nconfiguration\n";
  const auto c = nlohmann::json::parse(r.config_json, nullptr, false);
  s += (c.is_discarded() ? r.config_json : c.dump(2)) + "\n";
  return s;
}

std::string render_run_diff(const RunView& a, const RunView& b) {
  std::string s = "A: " + title(a.run) + "\nB: " + title(b.run) + "\n";
  auto side_by_side = [&](const std::string& heading, const std::map<std::string, std::string>& x,
                          const std::map<std::string, std::string>& y) {
    std::set<std::string> keys;
    for (const auto& [k, _] : x) keys.insert(k);
    for (const auto& [k, _] : y) keys.insert(k);
    std::vector<std::array<std::string, 3>> rows;
    for (const auto& k : keys) {
      const auto ix = x.find(k), iy = y.find(k);
      const std::string vx = ix == x.end() ? "(absent)" : ix->second, vy = iy == y.end() ? "(absent)" : iy->second;
      if (vx != vy) rows.push_back({k, vx, vy});
    }
    s += fmt::format("\n{}: {}\n", heading, rows.empty() ? "the same" : fmt::format("{} differ", rows.size()));
    size_t w = 0, wa = 1;
    for (const auto& r : rows) w = std::max(w, r[0].size()), wa = std::max(wa, r[1].size());
    for (const auto& r : rows) s += fmt::format("  {:<{}}  A {:<{}}  B {}\n", r[0], w, r[1], wa, r[2]);
  };
  auto cell = [](const RunRecord& r) {
    return std::map<std::string, std::string>{{"suite", r.key.suite},         {"method", r.key.method},
                                              {"model", r.key.model},         {"dataset", r.key.dataset},
                                              {"w_bits", std::to_string(r.key.w_bits)},
                                              {"a_bits", std::to_string(r.key.a_bits)},
                                              {"seed", std::to_string(r.key.seed)}};
  };
  side_by_side("cell", cell(a.run), cell(b.run));
  side_by_side("configuration", flat_config(a.run), flat_config(b.run));
  std::map<std::string, std::string> ma, mb;
  for (const auto& [k, x] : a.metrics) ma[k] = value_text(x);
  for (const auto& [k, x] : b.metrics) mb[k] = value_text(x);
  side_by_side("metrics", ma, mb);
  std::map<std::string, std::string> pa, pb;
  for (const auto& [k, x] : provenance_lines(a.run))
    if (k != "uid" && k != "started" && k != "ended") pa[k] = x;
  for (const auto& [k, x] : provenance_lines(b.run))
    if (k != "uid" && k != "started" && k != "ended") pb[k] = x;
  side_by_side("how they were obtained (besides their dates)", pa, pb);
  return s;
}

std::string render_runs_list_csv(const std::vector<RunView>& runs) {
  std::string s =
      "id,uid,suite,method,model,dataset,w_bits,a_bits,seed,status,top1,top1_val,fp_top1,started_at,ended_at,host,"
      "cpu,threads,device,build_commit,slurm_job\n";
  for (const auto& v : runs) {
    const auto& r = v.run;
    const std::vector<std::string> f = {std::to_string(r.id), r.uid, r.key.suite, r.key.method, r.key.model,
                                        r.key.dataset, std::to_string(r.key.w_bits), std::to_string(r.key.a_bits),
                                        std::to_string(r.key.seed), r.status, metric_field(v.metrics, "top1"),
                                        metric_field(v.metrics, "top1_val"), metric_field(v.metrics, "fp_top1"),
                                        r.started_at, r.ended_at, r.host, r.cpu, std::to_string(r.threads), r.device,
                                        r.build_commit, r.slurm_job};
    for (size_t i = 0; i < f.size(); ++i) s += (i ? "," : "") + csv_field(f[i]);
    s += "\n";
  }
  return s;
}

nlohmann::json runs_list_json(const std::vector<RunView>& runs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& v : runs) out.push_back(run_json(v, false));
  return out;
}

}  // namespace dfq
