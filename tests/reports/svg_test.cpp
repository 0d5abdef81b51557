// #16 §3: top-1 against bit-width as categories: no line through them, mean markers with
// capped error bars, each seed a dot, one look per method in every plot, and a collapsed
// method drawn off scale (and named) instead of squashing the others.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "reports/svg.h"

namespace dfq {
namespace {

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

// The y values of the axis' tick labels (text-anchor end, left of the frame).
std::vector<double> y_ticks(const std::string& svg) {
  std::vector<double> out;
  const std::regex tick(R"(<text x="52\.0" y="[0-9.]+" text-anchor="end">([0-9.-]+)</text>)");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tick); it != std::sregex_iterator(); ++it)
    out.push_back(std::stod((*it)[1]));
  return out;
}

CategoryPlotOptions two_columns() {
  CategoryPlotOptions o;
  o.title = "t";
  o.y_label = "top1 (%)";
  o.categories = {"W3A3", "W4A4"};
  o.reference = 93.0;
  o.reference_label = "full precision";
  return o;
}

TEST(CategoryPlot, MarkersCappedBarsAndSeedDotsWithoutLines) {
  std::vector<CategorySeries> series = {
      {"gdfq", "gdfq", {{0, 85, 1, {84, 85, 86}}, {1, 88, 2, {86, 88, 90}}}},
      {"adasg", "adasg", {{0, 86, 0.5, {85.5, 86.5}}, {1, 90, 0, {90}}}},
  };
  const std::string svg = svg_category_plot(series, two_columns());
  EXPECT_EQ(count(svg, "<polyline"), 0u) << "no line through the bit-widths";
  EXPECT_EQ(count(svg, "class=\"bar\""), 3u);  // every cell with a spread; adasg W4A4 (one seed) has none
  EXPECT_EQ(count(svg, "class=\"cap\""), 6u);  // two caps a bar
  EXPECT_EQ(count(svg, "class=\"seed\""), 3u + 3u + 2u + 1u);
  EXPECT_EQ(count(svg, "stroke-dasharray=\"5,3\""), 2u);  // the reference line and its legend entry
  EXPECT_EQ(svg.find("below the axis"), std::string::npos);
  // The axis covers the values (84 .. 93) without reaching far below them.
  const auto ticks = y_ticks(svg);
  ASSERT_FALSE(ticks.empty()) << svg;
  EXPECT_LE(ticks.front(), 84.0);
  EXPECT_GT(ticks.front(), 75.0);
  EXPECT_GE(ticks.back(), 93.0);
}

TEST(CategoryPlot, AMethodKeepsItsColourAndMarkerWhateverElseIsPlotted) {
  const auto a = method_style("adasg"), g = method_style("gdfq"), q = method_style("intraq");
  EXPECT_NE(a.colour, g.colour);
  EXPECT_NE(a.marker, g.marker);
  EXPECT_NE(q.colour, a.colour);
  const std::string alone = svg_category_plot({{"adasg", "adasg", {{0, 80, 0, {80}}}}}, two_columns());
  const std::string among = svg_category_plot(
      {{"gdfq", "gdfq", {{0, 70, 0, {70}}}}, {"intraq", "intraq", {{0, 75, 0, {75}}}},
       {"adasg", "adasg", {{0, 80, 0, {80}}}}},
      two_columns());
  EXPECT_NE(alone.find("\"" + a.colour + "\""), std::string::npos);
  EXPECT_NE(among.find("\"" + a.colour + "\""), std::string::npos);
  EXPECT_EQ(alone.find("\"" + g.colour + "\""), std::string::npos) << "adasg drawn in gdfq's colour";
  EXPECT_EQ(method_style("some-new-method").colour, method_style("some-new-method").colour);
}

TEST(CategoryPlot, ACollapsedMethodIsDrawnOffScaleAndNamed) {
  std::vector<CategorySeries> series = {
      {"gdfq", "gdfq", {{1, 87.46, 1.64, {86, 87.5, 89}}}},
      {"adasg", "adasg", {{1, 88.90, 0.40, {88.5, 88.9, 89.3}}}},
      {"intraq", "intraq", {{1, 39.47, 19.98, {20, 40, 58}}}},
  };
  const std::string svg = svg_category_plot(series, two_columns());
  const auto ticks = y_ticks(svg);
  ASSERT_FALSE(ticks.empty()) << svg;
  EXPECT_GT(ticks.front(), 60.0) << "intraq's 39 % squashed the others";
  EXPECT_NE(svg.find("below the axis (more than 25 points under the best of their column): intraq W4A4 39.47</text>"),
            std::string::npos)
      << svg;
  EXPECT_EQ(count(svg, "class=\"bar\""), 2u);  // the off-scale cell has an arrow, not a bar
  EXPECT_NE(svg.find(">39.5</text>"), std::string::npos) << "the arrow carries the value";
}

// Smaller cost and higher top-1 are better: a point is on the front when no other is at
// most as costly and better.
TEST(ParetoPlot, TheFrontKeepsThePointsNoOtherBeats) {
  const std::vector<ScatterPoint> points = {{"gdfq", "W4A4", 2, 70},  {"adasg", "W3A3", 1, 80},
                                            {"adasg", "W4A4", 2, 85}, {"gdfq", "W5A5", 3, 84},
                                            {"adasg", "W8A8", 4, 90}, {"noise", "W8A8", 4, 88}};
  const auto front = pareto_front(points);
  ASSERT_EQ(front.size(), 3u);
  EXPECT_EQ(front[0].label, "W3A3");
  EXPECT_EQ(front[1].label, "W4A4");
  EXPECT_EQ(front[1].method, "adasg");
  EXPECT_EQ(front[2].y, 90);
  ScatterOptions o;
  o.title = "t";
  const std::string svg = svg_pareto_plot(points, o);
  EXPECT_EQ(count(svg, "class=\"front\""), 1u);
  EXPECT_NE(svg.find(">Pareto front</text>"), std::string::npos);
  EXPECT_EQ(count(svg, ">W8A8</text>"), 2u);  // every point labelled with its bit-width
}

}  // namespace
}  // namespace dfq
