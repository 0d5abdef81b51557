// Formatting shared by the report builder and its renderers.
#pragma once
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "core/config/suite.h"
#include "reports/statistics.h"

namespace dfq {

inline std::string bits_name(const BitWidth& b) {
  if (b.w == 32 && b.a == 32) return "FP";
  return fmt::format("W{}A{}", b.w, b.a);
}

inline std::string row_label(const std::string& method, const std::map<std::string, double>& metrics) {
  auto it = metrics.find("finetuned");
  if (it == metrics.end()) return method;
  return fmt::format("{} ({})", method, it->second > 0.5 ? "fine-tuned" : "post-training");
}

inline const std::vector<std::string> kDeploymentKeys = {
    "weight_bytes_fp32",         "weight_bytes_packed",          "packed_file_bytes",
    "latency_ms_p50_fp32_b1",    "latency_ms_p50_fakequant_b1",  "latency_ms_p50_fp32_b64",
    "latency_ms_p50_fakequant_b64", "latency_ms_p50_int8_b1",     "latency_ms_p50_int8_b64",
    "int8_top1",                 "peak_rss_bytes",               "latency_noisy",
    "latency_ms_p95_int8_b1",    "latency_ms_p95_int8_b64"};

// Whether any column of a group has deployment figures (the packed size is measured by every
// run that has any).
inline bool has_deployment(const std::vector<std::map<std::string, Summary>>& columns) {
  for (const auto& d : columns)
    if (d.count("weight_bytes_packed")) return true;
  return false;
}

// #16 §4: " (noisy: k of n runs)" when latencies of a column were taken while other processes
// used the cores; "" otherwise.
inline std::string noisy_latency_text(const std::map<std::string, Summary>& d) {
  const auto it = d.find("latency_noisy");
  if (it == d.end() || it->second.mean <= 0) return "";
  return fmt::format(" (noisy: {:.0f} of {} runs)", it->second.mean * it->second.n, it->second.n);
}

// What the compute view counts, for the Markdown and HTML reports.
inline constexpr const char* kComputeNote =
    "Images seen: the images each run's training loop computed on (generated each iteration, drawn from a fixed "
    "set, or calibration batches), iterations x batch size, warm-up included; the one-off synthesis of "
    "intraq's and zeroq's image sets (cached per data set and settings) is not counted. Wall time: the trainer's, "
    "evaluations included, at the threads per run shown; runs of a sweep share the machine, so compare wall "
    "times only between runs of one sweep. The batch column is each method's (fine-tuning) batch size, as the "
    "papers compare them: a method that sees more images per iteration shows it here.";

inline std::string fmt_value(double v) { return std::isfinite(v) ? fmt::format("{:.2f}", v) : "-"; }

// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, with
// quotes doubled.
inline std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// One sentence on the runs recorded under the suite's name that the tables leave out
// because their settings differ from the suite file's; "" when none.
inline std::string left_out_text(int64_t runs, int64_t example_run, const std::string& why) {
  if (runs == 0) return "";
  return fmt::format("{} finished run{} recorded under this suite's name {} left out: {} settings differ from the "
                     "suite file's (ad-hoc runs, or runs of an older version of the file); e.g. run {}: {}.",
                     runs, runs == 1 ? "" : "s", runs == 1 ? "is" : "are", runs == 1 ? "its" : "their", example_run,
                     why);
}

inline std::string p_text(const WelchResult& w) {
  if (!w.valid) return "";
  return w.p < 0.001 ? "p<0.001" : fmt::format("p={:.3f}", w.p);
}

}  // namespace dfq
