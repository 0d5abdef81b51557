// The papers' claims that a table of this project can test ("AdaSG beats GDFQ at W4A4"),
// read from results/paper/claims.yaml and evaluated on a report: the difference of the means
// over seeds with its 95 % confidence interval (Welch), Welch's p, a verdict, and, when
// undecided, how many seeds per method would decide it at the observed means and spreads.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "reports/report.h"

namespace dfq {

struct Claim {
  std::string id;
  std::string better, worse;  // methods (registry names)
  std::vector<BitWidth> bits;
  std::string made_by;        // the paper that makes the claim
  std::string dataset, model; // where the paper made it ("" for a claim made in general)
  std::string source;         // the table its numbers come from (results/paper/published.csv)
};

// Throws MissingFileError / CorruptFileError naming the file and the claim at fault.
std::vector<Claim> load_claims(const std::string& yaml_path);
std::string default_claims_path();

struct ClaimResult {
  Claim claim;
  std::string dataset, model;  // the report group it was tested on
  BitWidth bits;
  Summary better, worse;
  double diff = 0, ci_lo = 0, ci_hi = 0;  // better - worse, points of the report's metric
  WelchResult welch;
  std::string verdict;  // confirmed, contradicted, undecided, untested
  std::string why;      // for untested: what is missing
  // Undecided: seeds per method that would give p < 0.05 at the observed means and spreads
  // (0: decided or untested; -1: more than 100, or no difference at all).
  int seeds_to_decide = 0;
  std::optional<double> published_better, published_worse;  // where the paper's table has them
};

constexpr double kClaimAlpha = 0.05;

// Every claim at every bit-width, on every report group that has rows of both methods (a
// bit-width with fewer than 2 seeds of either is "untested"); a claim made on another data
// set is still tested (the report says where it was made).
std::vector<ClaimResult> evaluate_claims(const Report& report, const std::vector<Claim>& claims,
                                         const std::vector<PublishedRow>& published);

// Seeds per method at which Welch's test of means m_a, m_b with standard deviations s_a, s_b
// gives p < alpha, searching from `from` to 100; -1 when none does.
int seeds_to_decide(double mean_a, double std_a, double mean_b, double std_b, int from, double alpha = kClaimAlpha);

std::string render_claims_markdown(const std::vector<ClaimResult>& results, const std::string& metric);
std::string render_claims_html(const std::vector<ClaimResult>& results, const std::string& metric);

}  // namespace dfq
