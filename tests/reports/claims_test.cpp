// The papers' claims evaluated on a report: Welch's difference, interval and p against values
// computed independently (closed-form t CDF for 4 degrees of freedom; numerical integration
// of the t density for the seeds needed), the verdicts, and the claims file's checks.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "core/util/error.h"
#include "methods/registry.h"
#include "reports/claims.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

ReportRow row(const std::string& method, const std::vector<std::pair<BitWidth, std::vector<double>>>& cells) {
  ReportRow r;
  r.method = r.label = method;
  for (const auto& [bits, values] : cells) {
    ReportCell c;
    c.bits = bits;
    c.values = values;
    c.summary = summarize(values);
    r.cells.push_back(c);
  }
  return r;
}

Report report_of(std::vector<ReportRow> rows) {
  Report rep;
  ReportGroup g;
  g.dataset = "fashion-mnist";
  g.model = "resnet20";
  g.rows = std::move(rows);
  rep.groups.push_back(g);
  return rep;
}

Claim claim(const std::string& better, const std::string& worse) {
  Claim c;
  c.id = better + "-" + worse;
  c.better = better;
  c.worse = worse;
  c.bits = {{4, 4}};
  c.made_by = "a paper";
  c.dataset = "cifar10";
  c.model = "resnet20";
  return c;
}

TEST(Claims, ConfirmedWithWelchIntervalAndPublishedDifference) {
  // 91 +- 1 against 86 +- 1 over 3 seeds: se = sqrt(2/3), t = 6.1237, df = 4 exactly;
  // p = 1 - t(t^2 + 6) / (t^2 + 4)^1.5 = 0.003602 (t CDF for 4 degrees of freedom);
  // t quantile 2.776445, interval 5 -+ 2.776445 * 0.816497.
  const BitWidth w4{4, 4};
  auto rep = report_of({row("adasg", {{w4, {90, 91, 92}}}), row("gdfq", {{w4, {85, 86, 87}}})});
  std::vector<PublishedRow> published = {{"cifar10", "resnet20", "adasg", 4, 4, 92.10, false, "T"},
                                          {"cifar10", "resnet20", "gdfq", 4, 4, 90.11, false, "T"}};
  auto r = evaluate_claims(rep, {claim("adasg", "gdfq")}, published);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].verdict, "confirmed");
  EXPECT_NEAR(r[0].diff, 5.0, 1e-12);
  EXPECT_NEAR(r[0].welch.df, 4.0, 1e-9);
  EXPECT_NEAR(r[0].welch.p, 0.0036022, 2e-6);
  EXPECT_NEAR(r[0].ci_lo, 5.0 - 2.776445 * 0.816497, 1e-4);
  EXPECT_NEAR(r[0].ci_hi, 5.0 + 2.776445 * 0.816497, 1e-4);
  ASSERT_TRUE(r[0].published_better && r[0].published_worse);
  EXPECT_NEAR(*r[0].published_better - *r[0].published_worse, 1.99, 1e-9);
  const auto md = render_claims_markdown(r, "top1");
  EXPECT_NE(md.find("| adasg > gdfq | a paper | fashion-mnist / resnet20 (claimed on cifar10 / resnet20) | W4A4 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("+5.00 [+2.73, +7.27]"), std::string::npos) << md;
  EXPECT_NE(md.find("+1.99 (92.10 vs 90.11)"), std::string::npos) << md;
}

TEST(Claims, ReversedOrderIsContradicted) {
  const BitWidth w4{4, 4};
  auto rep = report_of({row("adasg", {{w4, {90, 91, 92}}}), row("gdfq", {{w4, {85, 86, 87}}})});
  auto r = evaluate_claims(rep, {claim("gdfq", "adasg")}, {});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].verdict, "contradicted");
  EXPECT_LT(r[0].ci_hi, 0);
}

TEST(Claims, UndecidedSaysHowManySeedsWouldDecide) {
  // 90 +- 2 against 89 +- 2: with n seeds each, t = sqrt(n / 8) and df = 2(n - 1); the t density
  // integrated numerically gives p = 0.0533 at n = 31 and 0.0499 at n = 32.
  const BitWidth w4{4, 4};
  auto rep = report_of({row("adasg", {{w4, {90, 92, 88}}}), row("gdfq", {{w4, {89, 87, 91}}})});
  auto r = evaluate_claims(rep, {claim("adasg", "gdfq")}, {});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].verdict, "undecided");
  EXPECT_EQ(r[0].seeds_to_decide, 32);
  EXPECT_LT(r[0].ci_lo, 0);
  EXPECT_GT(r[0].ci_hi, 0);
  EXPECT_EQ(seeds_to_decide(1, 2, 0, 2, 2), 32);
  EXPECT_EQ(seeds_to_decide(0.01, 5, 0, 5, 2), -1);  // not within 100 seeds
  EXPECT_EQ(seeds_to_decide(1, 0, 1, 0, 2), -1);     // nothing to decide
}

TEST(Claims, TooFewSeedsOrAMissingMethodLeaveItUntested) {
  const BitWidth w3{3, 3}, w4{4, 4};
  auto rep = report_of({row("adasg", {{w4, {90}}, {w3, {80, 81}}}), row("gdfq", {{w4, {85, 86}}})});
  Claim c = claim("adasg", "gdfq");
  c.bits = {w3, w4};
  auto r = evaluate_claims(rep, {c, claim("adadfq", "intraq"), claim("adasg", "qimera")}, {});
  ASSERT_EQ(r.size(), 2u);  // the other claims' methods (one or both) have no rows here: not listed
  EXPECT_EQ(r[0].verdict, "untested");
  EXPECT_NE(r[0].why.find("2 seed(s) of adasg and 0 of gdfq"), std::string::npos) << r[0].why;
  EXPECT_EQ(r[1].verdict, "untested");
  EXPECT_NE(r[1].why.find("1 seed(s) of adasg and 2 of gdfq"), std::string::npos) << r[1].why;
}

TEST(Claims, TheShippedFileLoadsAndNamesKnownMethods) {
  auto claims = load_claims(default_claims_path());
  ASSERT_GE(claims.size(), 6u);
  std::set<std::string> names;
  for (const auto& m : method_registry()) names.insert(m.name);
  for (const auto& c : claims) {
    EXPECT_TRUE(names.count(c.better)) << c.id << ": " << c.better;
    EXPECT_TRUE(names.count(c.worse)) << c.id << ": " << c.worse;
  }
}

TEST(Claims, MalformedFilesSayWhatToFix) {
  testing::TempDir dir;
  auto expect_error = [&](const std::string& text, const std::string& what) {
    std::ofstream(dir.file("c.yaml")) << text;
    try {
      load_claims(dir.file("c.yaml"));
      ADD_FAILURE() << "expected CorruptFileError for " << text;
    } catch (const CorruptFileError& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  expect_error("claims: {a: 1}", "expected a list under 'claims:'");
  expect_error("claims:\n  - {id: x, better: a, worse: b, bits: [4]}", "claim 1: missing 'made_by'");
  expect_error("claims:\n  - {id: x, better: a, worse: b, made_by: p, bits: [42]}", "claim 1 (x)");
  expect_error("claims:\n  - {id: x, better: a, worse: b, made_by: p, bits: 4}", "'bits' must be a list");
  expect_error("claims:\n  - {id: x, better: a, worse: a, made_by: p, bits: [4]}", "same");
  expect_error("claims:\n  - {id: x, better: a, worse: b, made_by: p, bits: [4]}\n"
               "  - {id: x, better: b, worse: c, made_by: p, bits: [4]}",
               "claim 2: id 'x' used twice");
  expect_error("claims: [", "not valid YAML");
  EXPECT_THROW(load_claims(dir.file("absent.yaml")), MissingFileError);
}

}  // namespace
}  // namespace dfq
