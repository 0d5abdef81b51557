#include "reports/statistics.h"

#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/beta.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace dfq {

Summary summarize(const std::vector<double>& v) {
  Summary s;
  s.n = static_cast<int>(v.size());
  if (v.empty()) return s;
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / s.n;
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.std = s.n > 1 ? std::sqrt(ss / (s.n - 1)) : 0.0;
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  return s;
}

// Boost.Math's regularised incomplete beta and Student's t distribution.
double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0.0;
  if (x >= 1) return 1.0;
  return boost::math::ibeta(a, b, x);
}

double student_t_cdf(double t, double df) { return boost::math::cdf(boost::math::students_t(df), t); }

double student_t_quantile(double two_sided_alpha, double df) {
  return boost::math::quantile(boost::math::students_t(df), 1.0 - two_sided_alpha / 2.0);
}

WelchResult welch_t_test(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() < 2 || b.size() < 2) return {};
  auto sa = summarize(a), sb = summarize(b);
  return welch_t_test(sa.mean, sa.std, sa.n, sb.mean, sb.std, sb.n);
}

WelchResult welch_t_test(double mean_a, double std_a, int n_a, double mean_b, double std_b, int n_b) {
  WelchResult r;
  if (n_a < 2 || n_b < 2) return r;
  const double va = std_a * std_a / n_a, vb = std_b * std_b / n_b;
  if (va + vb <= 0) return r;
  r.se = std::sqrt(va + vb);
  r.t = (mean_a - mean_b) / r.se;
  r.df = (va + vb) * (va + vb) / (va * va / (n_a - 1) + vb * vb / (n_b - 1));
  r.p = 2.0 * (1.0 - student_t_cdf(std::fabs(r.t), r.df));
  r.p = std::clamp(r.p, 0.0, 1.0);
  r.valid = true;
  return r;
}

}  // namespace dfq
