// Summary statistics over seeds and Welch's unequal-variance t-test.
#pragma once
#include <vector>

namespace dfq {

struct Summary {
  int n = 0;
  double mean = 0, std = 0;  // std: sample standard deviation (n - 1); 0 when n < 2
  double min = 0, max = 0;
};
Summary summarize(const std::vector<double>& values);

struct WelchResult {
  double t = 0, df = 0;
  double se = 0;      // standard error of the difference of the means
  double p = 1;       // two-sided
  bool valid = false; // false when either side has fewer than 2 values, or both have no spread
};
WelchResult welch_t_test(const std::vector<double>& a, const std::vector<double>& b);
// The same test from summaries: means, sample standard deviations and counts.
WelchResult welch_t_test(double mean_a, double std_a, int n_a, double mean_b, double std_b, int n_b);

// Regularised incomplete beta I_x(a, b), Student's t CDF, and the two-sided critical value q
// with P(|T| > q) = two_sided_alpha (Boost.Math).
double incomplete_beta(double a, double b, double x);
double student_t_cdf(double t, double df);
double student_t_quantile(double two_sided_alpha, double df);

}  // namespace dfq
