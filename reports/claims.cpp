#include "reports/claims.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "core/quant/fake_quant.h"
#include "core/util/env.h"
#include "core/util/error.h"
#include "reports/format.h"
#include "reports/svg.h"

namespace dfq {

std::string default_claims_path() {
  return (std::filesystem::path(source_dir()) / "results" / "paper" / "claims.yaml").string();
}

std::vector<Claim> load_claims(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw MissingFileError(fmt::format("claims file {} not found (it ships with the project: "
                                       "results/paper/claims.yaml)", path));
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw CorruptFileError(fmt::format("{}: not valid YAML: {}", path, e.what()));
  }
  if (!root["claims"] || !root["claims"].IsSequence())
    throw CorruptFileError(fmt::format("{}: expected a list under 'claims:'", path));
  std::vector<Claim> out;
  std::set<std::string> ids;
  int i = 0;
  for (const auto& n : root["claims"]) {
    ++i;
    const std::string where = fmt::format("{}: claim {}", path, i);
    auto text = [&](const char* key, bool required) -> std::string {
      if (!n[key]) {
        if (required) throw CorruptFileError(fmt::format("{}: missing '{}'", where, key));
        return "";
      }
      try {
        return n[key].as<std::string>();
      } catch (const YAML::Exception&) {
        throw CorruptFileError(fmt::format("{}: '{}' must be text", where, key));
      }
    };
    Claim c;
    c.id = text("id", true);
    c.better = text("better", true);
    c.worse = text("worse", true);
    c.made_by = text("made_by", true);
    c.dataset = text("dataset", false);
    c.model = text("model", false);
    c.source = text("source", false);
    if (c.better == c.worse) throw CorruptFileError(fmt::format("{} ({}): better and worse are the same", where, c.id));
    if (!ids.insert(c.id).second) throw CorruptFileError(fmt::format("{}: id '{}' used twice", where, c.id));
    if (!n["bits"] || !n["bits"].IsSequence() || n["bits"].size() == 0)
      throw CorruptFileError(fmt::format("{} ({}): 'bits' must be a list such as [3, 4]", where, c.id));
    for (const auto& b : n["bits"]) {
      try {
        const auto bits = parse_bit_width(b.as<std::string>());
        check_bits(bits.w, "weight");
        check_bits(bits.a, "activation");
        c.bits.push_back(bits);
      } catch (const InvalidInputError& e) {
        throw CorruptFileError(fmt::format("{} ({}): {}", where, c.id, e.what()));
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

int seeds_to_decide(double mean_a, double std_a, double mean_b, double std_b, int from, double alpha) {
  if (mean_a == mean_b) return -1;
  for (int n = std::max(2, from); n <= 100; ++n) {
    const auto w = welch_t_test(mean_a, std_a, n, mean_b, std_b, n);
    if (!w.valid) return -1;  // no spread: nothing to decide with more seeds
    if (w.p < alpha) return n;
  }
  return -1;
}

namespace {

std::optional<double> published_top1(const std::vector<PublishedRow>& published, const Claim& c,
                                     const std::string& method, const BitWidth& b) {
  for (const auto& r : published)
    if (r.dataset == c.dataset && r.model == c.model && r.method == method && r.w_bits == b.w && r.a_bits == b.a)
      return r.top1;
  return std::nullopt;
}

// The seeds' values of `method` at `bits` in a group; rows of one method (zeroq's protocols) pool.
std::vector<double> values_of(const ReportGroup& g, const std::string& method, const BitWidth& bits) {
  std::vector<double> v;
  for (const auto& r : g.rows) {
    if (r.method != method) continue;
    for (const auto& c : r.cells)
      if (c.bits.w == bits.w && c.bits.a == bits.a) v.insert(v.end(), c.values.begin(), c.values.end());
  }
  return v;
}

bool has_method(const ReportGroup& g, const std::string& method) {
  for (const auto& r : g.rows)
    if (r.method == method) return true;
  return false;
}

}  // namespace

std::vector<ClaimResult> evaluate_claims(const Report& report, const std::vector<Claim>& claims,
                                         const std::vector<PublishedRow>& published) {
  std::vector<ClaimResult> out;
  for (const auto& g : report.groups)
    for (const auto& c : claims) {
      if (!has_method(g, c.better) || !has_method(g, c.worse)) continue;  // the suite does not compare them
      for (const auto& b : c.bits) {
        ClaimResult r;
        r.claim = c;
        r.dataset = g.dataset;
        r.model = g.model;
        r.bits = b;
        r.published_better = published_top1(published, c, c.better, b);
        r.published_worse = published_top1(published, c, c.worse, b);
        const auto a = values_of(g, c.better, b), w = values_of(g, c.worse, b);
        r.better = summarize(a);
        r.worse = summarize(w);
        if (a.size() < 2 || w.size() < 2) {
          r.verdict = "untested";
          r.why = fmt::format("{} seed(s) of {} and {} of {}; needs 2 of each", a.size(), c.better, w.size(), c.worse);
          out.push_back(r);
          continue;
        }
        r.diff = r.better.mean - r.worse.mean;
        r.welch = welch_t_test(a, w);
        if (!r.welch.valid) {  // no spread on either side: every seed gave the same number
          r.verdict = r.diff > 0 ? "confirmed" : (r.diff < 0 ? "contradicted" : "undecided");
          r.ci_lo = r.ci_hi = r.diff;
          r.why = "no spread over seeds";
          out.push_back(r);
          continue;
        }
        const double q = student_t_quantile(kClaimAlpha, r.welch.df);
        r.ci_lo = r.diff - q * r.welch.se;
        r.ci_hi = r.diff + q * r.welch.se;
        if (r.welch.p < kClaimAlpha) {
          r.verdict = r.diff > 0 ? "confirmed" : "contradicted";
        } else {
          r.verdict = "undecided";
          r.seeds_to_decide = seeds_to_decide(r.better.mean, r.better.std, r.worse.mean, r.worse.std,
                                              std::max(r.better.n, r.worse.n) + 1);
        }
        out.push_back(r);
      }
    }
  return out;
}

namespace {

std::string paper_text(const ClaimResult& r) {
  if (!r.published_better || !r.published_worse) return "-";
  return fmt::format("{:+.2f} ({:.2f} vs {:.2f})", *r.published_better - *r.published_worse, *r.published_better,
                     *r.published_worse);
}

std::string verdict_text(const ClaimResult& r) {
  std::string v = r.verdict;
  if (r.verdict == "undecided")
    v += r.seeds_to_decide > 0 ? fmt::format(" (~{} seeds each would decide it)", r.seeds_to_decide)
                               : " (not within 100 seeds)";
  if (!r.why.empty()) v += " (" + r.why + ")";
  return v;
}

std::string tested_on(const ClaimResult& r) {
  std::string s = r.dataset + " / " + r.model;
  if (!r.claim.dataset.empty() && (r.claim.dataset != r.dataset || r.claim.model != r.model))
    s += fmt::format(" (claimed on {} / {})", r.claim.dataset, r.claim.model);
  return s;
}

std::string diff_text(const ClaimResult& r) {
  if (r.verdict == "untested") return "-";
  return fmt::format("{:+.2f} [{:+.2f}, {:+.2f}]", r.diff, r.ci_lo, r.ci_hi);
}

std::string means_text(const ClaimResult& r) {
  return fmt::format("{} ({}) vs {} ({})", r.better.n ? fmt_value(r.better.mean) : "-", r.better.n,
                     r.worse.n ? fmt_value(r.worse.mean) : "-", r.worse.n);
}

}  // namespace

std::string render_claims_markdown(const std::vector<ClaimResult>& results, const std::string& metric) {
  if (results.empty()) return "";
  std::string s = fmt::format(
      "### The papers' claims, tested ({}; results/paper/claims.yaml)\n\n"
      "Difference of the means over seeds (better - worse) with its 95 % confidence interval and Welch's p; "
      "confirmed or contradicted at p < {}. Undecided: how many seeds per method would decide it if the means "
      "and spreads stayed as observed. The paper's difference is from its table.\n\n"
      "| claim | made by | tested on | bits | means (n) | difference [95 % CI] | p | verdict | paper |\n"
      "|---|---|---|---|---|---|---|---|---|\n",
      metric, kClaimAlpha);
  for (const auto& r : results)
    s += fmt::format("| {} > {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", r.claim.better, r.claim.worse,
                     r.claim.made_by, tested_on(r), bits_name(r.bits), means_text(r), diff_text(r),
                     r.welch.valid ? p_text(r.welch) : "-", verdict_text(r), paper_text(r));
  return s + "\n";
}

std::string render_claims_html(const std::vector<ClaimResult>& results, const std::string& metric) {
  if (results.empty()) return "";
  std::string s = fmt::format(
      "<h2>The papers' claims, tested</h2>\n<p>{}: difference of the means over seeds (better - worse) with its "
      "95 % confidence interval and Welch's p; confirmed or contradicted at p &lt; {}.</p>\n<table><tr><th>claim</th>"
      "<th>made by</th><th>tested on</th><th>bits</th><th>means (n)</th><th>difference [95 % CI]</th><th>p</th>"
      "<th>verdict</th><th>paper</th></tr>\n",
      xml_escape(metric), kClaimAlpha);
  for (const auto& r : results)
    s += fmt::format("<tr class=\"{}\"><td>{} &gt; {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                     "<td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     xml_escape(r.verdict), xml_escape(r.claim.better), xml_escape(r.claim.worse),
                     xml_escape(r.claim.made_by), xml_escape(tested_on(r)), bits_name(r.bits), xml_escape(means_text(r)),
                     xml_escape(diff_text(r)), r.welch.valid ? xml_escape(p_text(r.welch)) : "-",
                     xml_escape(verdict_text(r)), xml_escape(paper_text(r)));
  return s + "</table>\n";
}

}  // namespace dfq
