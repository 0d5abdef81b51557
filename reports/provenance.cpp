#include "reports/provenance.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (in format.h before fmt 11)

#include <algorithm>
#include <set>

#include "reports/svg.h"  // xml_escape

namespace dfq {

namespace {

template <typename T>
std::vector<T> sorted(const std::set<T>& s) {
  return {s.begin(), s.end()};
}

std::string list_or_dash(const std::vector<std::string>& v) { return v.empty() ? "-" : fmt::format("{}", fmt::join(v, ", ")); }

// (label, value) lines of the block, in the order every renderer shows them.
std::vector<std::pair<std::string, std::string>> lines(const Provenance& p) {
  std::vector<std::string> threads;
  for (int t : p.threads) threads.push_back(std::to_string(t));
  std::vector<std::pair<std::string, std::string>> out = {
      {"store", p.store},
      {"runs", std::to_string(p.runs)},
      {"dates", fmt::format("first start {}, last end {}", p.first_start.empty() ? "-" : p.first_start,
                            p.last_end.empty() ? "-" : p.last_end)},
      {"checkouts (git)", list_or_dash(p.checkouts)},
      {"binaries built from", list_or_dash(p.build_commits)},
      {"hosts", list_or_dash(p.hosts)},
      {"processors", list_or_dash(p.cpus)},
      {"LibTorch", list_or_dash(p.torch_versions)},
      {"devices", list_or_dash(p.devices)},
      {"threads per run", list_or_dash(threads)},
  };
  if (p.slurm_runs > 0 || p.merged_runs > 0)
    out.push_back({"Slurm", fmt::format("{} runs in Slurm jobs, {} merged from shards", p.slurm_runs, p.merged_runs)});
  return out;
}

}  // namespace

Provenance collect_provenance(const std::string& store_path, const std::vector<RunRecord>& runs) {
  Provenance p;
  p.store = store_path;
  std::set<std::string> checkouts, builds, hosts, cpus, torch, devices;
  std::set<int> threads;
  std::set<std::string> seen;  // a run counted once, however many cells read it
  for (const auto& r : runs) {
    if (!seen.insert(r.uid.empty() ? std::to_string(r.id) : r.uid).second) continue;
    ++p.runs;
    auto add = [](std::set<std::string>& s, const std::string& v) {
      if (!v.empty()) s.insert(v);
    };
    add(checkouts, r.git_sha.empty() ? "" : r.git_sha + (r.git_dirty ? "+dirty" : ""));
    add(builds, r.build_commit);
    add(hosts, r.host);
    add(cpus, r.cpu);
    add(torch, r.torch_version);
    add(devices, r.device);
    if (r.threads > 0) threads.insert(r.threads);
    p.slurm_runs += !r.slurm_job.empty();
    p.merged_runs += !r.merged_from.empty();
    if (!r.started_at.empty() && (p.first_start.empty() || r.started_at < p.first_start)) p.first_start = r.started_at;
    if (!r.ended_at.empty() && r.ended_at > p.last_end) p.last_end = r.ended_at;
  }
  p.checkouts = sorted(checkouts);
  p.build_commits = sorted(builds);
  p.hosts = sorted(hosts);
  p.cpus = sorted(cpus);
  p.torch_versions = sorted(torch);
  p.devices = sorted(devices);
  p.threads = sorted(threads);
  return p;
}

std::string render_provenance_markdown(const Provenance& p) {
  std::string s = "#### How these numbers were obtained\n\n";
  for (const auto& [label, value] : lines(p)) s += fmt::format("- {}: {}\n", label, value);
  return s + "\n";
}

std::string render_provenance_html(const Provenance& p) {
  std::string s = "<h2>How these numbers were obtained</h2>\n<table class=\"provenance\">\n";
  for (const auto& [label, value] : lines(p))
    s += "<tr><th>" + xml_escape(label) + "</th><td>" + xml_escape(value) + "</td></tr>\n";
  return s + "</table>\n";
}

nlohmann::json provenance_json(const Provenance& p) {
  return {{"store", p.store},
          {"runs", p.runs},
          {"first_start", p.first_start},
          {"last_end", p.last_end},
          {"checkouts", p.checkouts},
          {"build_commits", p.build_commits},
          {"hosts", p.hosts},
          {"cpus", p.cpus},
          {"torch_versions", p.torch_versions},
          {"devices", p.devices},
          {"threads", p.threads},
          {"slurm_runs", p.slurm_runs},
          {"merged_runs", p.merged_runs}};
}

}  // namespace dfq
