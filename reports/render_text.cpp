// The Markdown report (for READMEs and papers) and the CSV with one row per cell.
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join

#include "reports/format.h"
#include "reports/report.h"

namespace dfq {

namespace {

std::string cell_text(const ReportCell& c) {
  std::string cell = c.summary.n == 0 ? "-"
                     : c.summary.n == 1
                         ? fmt::format("{} (1)", fmt_value(c.summary.mean))
                         : fmt::format("{} ± {} ({})", fmt_value(c.summary.mean), fmt_value(c.summary.std), c.summary.n);
  if (c.published) cell += fmt::format(" · paper {:.2f}{}", c.published->top1, c.published->rerun ? "†" : "*");
  auto p = p_text(c.vs_baseline);
  if (!p.empty()) cell += " · " + p;
  if (c.diverged > 0) cell += fmt::format(" · {} diverged‡", c.diverged);
  return cell;
}

bool any_diverged(const ReportGroup& g) {
  for (const auto& r : g.rows)
    for (const auto& c : r.cells)
      if (c.diverged > 0) return true;
  return false;
}

std::string accuracy_table(const ReportGroup& g, const std::string& metric) {
  std::string s = fmt::format("### {} / {}: {} (%), mean ± std over seeds (n)\n\n", g.dataset, g.model,
                              metric == "top1" ? "final-epoch test top-1" : metric);
  s += "| method | year |";
  for (const auto& c : g.columns) s += fmt::format(" {} |", bits_name(c));
  s += "\n|---|---|";
  for (size_t i = 0; i < g.columns.size(); ++i) s += "---|";
  s += "\n";
  for (const auto& r : g.rows) {
    s += fmt::format("| {} | {} |", r.label, r.year > 0 ? std::to_string(r.year) : "");
    for (const auto& c : r.cells) s += " " + cell_text(c) + " |";
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
  if (any_diverged(g))
    s += "\n‡ diverged: a non-finite loss ended that run's training; it reports its last evaluated epoch (the "
         "official code trains on through the NaN and reports its best epoch before it).\n";
  return s + "\n";
}

std::string deployment_row(const BitWidth& bits, const std::map<std::string, Summary>& d) {
  auto get = [&](const char* k, double div) {
    return d.count(k) ? fmt::format("{:.1f}", d.at(k).mean / div) : std::string("-");
  };
  auto ms = [&](const std::string& k) { return d.count(k) ? fmt::format("{:.2f}", d.at(k).mean) : "-"; };
  auto latencies = [&](int batch) {
    return fmt::format("{} / {} / {}", ms(fmt::format("latency_ms_p50_fp32_b{}", batch)),
                       ms(fmt::format("latency_ms_p50_fakequant_b{}", batch)),
                       ms(fmt::format("latency_ms_p50_int8_b{}", batch)));
  };
  const std::string noisy = noisy_latency_text(d);
  return fmt::format("| {} | {} | {} | {} | {}{} | {}{} | {} | {} |\n", bits_name(bits), get("weight_bytes_fp32", 1024),
                     get("weight_bytes_packed", 1024), get("packed_file_bytes", 1024), latencies(1), noisy,
                     latencies(64), noisy,
                     ms("int8_top1"),
                     d.count("peak_rss_bytes") ? fmt::format("{:.0f}", d.at("peak_rss_bytes").max / 1048576.0) : "-");
}

// Deployment figures per bit-width; empty when no run measured them.
std::string deployment_table(const ReportGroup& g) {
  if (!has_deployment(g.deployment)) return "";
  std::string s = fmt::format("#### {} / {}: what quantization buys (means over the runs of each column)\n\n",
                              g.dataset, g.model);
  s += "| bits | weights fp32 (KiB) | packed (KiB) | packed file (KiB) | latency b1 fp32 / fake-quant / int8 (ms) | "
       "latency b64 fp32 / fake-quant / int8 (ms) | int8 top-1 | peak RSS (MiB) |\n"
       "|---|---|---|---|---|---|---|---|\n";
  bool inside_training = false;  // runs from before the latency phase: timed while training ran
  for (const auto& d : g.deployment) {
    const int timed = d.count("latency_ms_p50_fp32_b64") ? d.at("latency_ms_p50_fp32_b64").n : 0;
    const int judged = d.count("latency_noisy") ? d.at("latency_noisy").n : 0;
    inside_training |= timed > judged;
  }
  for (size_t i = 0; i < g.columns.size(); ++i) s += deployment_row(g.columns[i], g.deployment[i]);
  s += "\nPacked: b-bit weight codes plus an fp32 scale and zero point per output channel; biases and BatchNorm "
       "fp32. Latency: measured apart from training, one run at a time (a sweep's latency phase after its "
       "training cells, or `dfq measure`): median of up to 100 timed forward passes after 5 untimed (at least 3 "
       "where a pass takes seconds); marked noisy where other processes used more than half a core while it was "
       "taken, or a figure of 1 ms or more varied by over 30 % (coefficient of variation). The fake-quantized "
       "student runs in fp32 (it simulates "
       "the integer model, it is not one). int8: the student exported to LibTorch's quantized ONEDNN kernels "
       "(BatchNorm folded, int8 weights, uint8 activations, float classifier); students below 8 bits run on "
       "these 8-bit kernels with their b-bit values, so their int8 latency is the 8-bit latency. Its test top-1 "
       "differs from the student's where the integer model quantizes a tensor the student keeps in float "
       "(input image, residual branch before the addition).";
  if (inside_training)
    s += " Some of these runs were recorded before latency had its own phase: theirs was timed at the end of "
         "the training run, while other cells of the sweep trained on the same cores (`dfq measure --suite NAME` "
         "measures them again).";
  s += "\n\n";
  return s;
}

// What each cell cost beside what it reached (#13 §4); empty when no run recorded its images.
std::string compute_table(const ReportGroup& g) {
  const auto lines = compute_lines(g);
  if (lines.empty()) return "";
  std::string s = fmt::format("#### {} / {}: top-1 against compute (means over the runs of each cell)\n\n", g.dataset,
                              g.model);
  s += "| method | bits | batch | images seen | wall time (s) | threads per run | images/s | top-1 |\n"
       "|---|---|---|---|---|---|---|---|\n";
  for (const auto& l : lines) s += fmt::format("| {} |\n", fmt::join(compute_fields(l, "–", " ± "), " | "));
  s += "\n" + std::string(kComputeNote) + "\n\n";
  return s;
}

// How the runs depart from the official code, per row (what the runs recorded).
std::string deviations(const Report& rep) {
  std::string s;
  for (const auto& g : rep.groups)
    for (const auto& r : g.rows)
      for (const auto& n : r.notes) s += fmt::format("- {} ({} / {}): {}\n", r.label, g.dataset, g.model, n);
  return s.empty() ? s : "#### Where these runs differ from the official code\n\n" + s + "\n";
}

std::string notes(const Report& rep) {
  const auto& o = rep.options;
  bool any_published = false, any_rerun = false;
  for (const auto& g : rep.groups)
    for (const auto& r : g.rows)
      for (const auto& c : r.cells)
        if (c.published) {
          any_published = true;
          any_rerun |= c.published->rerun;
        }
  std::string s = fmt::format(
      "Cells: mean ± sample std over seeds (n runs), the newest finished run per seed; metric `{}`.", o.metric);
  if (o.metric == "top1") s += " Ours is the final epoch's test accuracy (no selection on the test set).";
  s += fmt::format(" p: two-sided Welch's t-test against {} in the same column (shown where both have n >= 2).\n",
                   o.baseline);
  if (any_published)
    s += "\n\\* Published numbers (results/paper/published.csv, from the AdaDFQ paper's main table) are the best "
         "test accuracy over all epochs of one seed, on CIFAR/ImageNet: optimistic, and not comparable "
         "number-for-number with a different data set.\n";
  if (any_rerun) s += "† Baseline re-run by the AdaDFQ authors.\n";
  const auto left = left_out_text(rep.left_out.runs, rep.left_out.example_run, rep.left_out.example_why);
  if (!left.empty()) s += "\n" + left + "\n";
  return s;
}

}  // namespace

std::string render_markdown(const Report& rep) {
  const auto& o = rep.options;
  if (rep.groups.empty())
    return fmt::format("No finished runs with metric '{}' in suite '{}'.\n", o.metric, o.suite);
  std::string s;
  for (const auto& g : rep.groups) s += accuracy_table(g, o.metric);
  for (const auto& g : rep.groups) s += deployment_table(g);
  for (const auto& g : rep.groups) s += compute_table(g);
  return s + deviations(rep) + notes(rep) + render_provenance_markdown(rep.provenance);
}

std::string render_csv(const Report& rep) {
  std::string s =
      "dataset,model,method,label,w_bits,a_bits,metric,n,mean,std,min,max,seeds,val_selected_mean,best_test_mean,"
      "published,published_rerun,baseline,p_value\n";
  auto q = [](const std::string& t) { return csv_field(t); };
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

}  // namespace dfq
