// A small SVG plot writer for the report pages (no external tools, no scripts): line plots of
// curves, and category plots of a metric against bit-width.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace dfq {

struct PlotSeries {
  std::string name;
  std::vector<double> x, y, err;  // err: optional half-height of an error bar per point
  std::vector<double> lo, hi;      // optional band (e.g. the seeds' range) around the line
  bool dashed = false;
  std::string colour;  // empty: the k-th colour of the palette
};

struct PlotOptions {
  std::string title, x_label, y_label;
  std::vector<std::pair<double, std::string>> x_ticks;  // empty: numeric ticks
  std::vector<std::pair<double, std::string>> y_lines;  // labelled dashed horizontal lines (bounds)
  bool legend = true;  // false: the title names the one series (and the frame takes the legend's room)
  int width = 560, height = 340;
};

std::string svg_line_plot(const std::vector<PlotSeries>& series, const PlotOptions& options);

// A metric per category (bit-widths) for several methods: no line through the categories;
// each method's mean as its marker, an error bar with caps (the seeds' sample std), and each
// seed's value as a small hollow dot beside it.
struct CategoryCell {
  size_t category = 0;
  double mean = 0, err = 0;   // err: half-height of the error bar (0: none)
  std::vector<double> values;  // one per seed
};
struct CategorySeries {
  std::string name;    // legend text
  std::string method;  // registry name: picks the method's fixed colour and marker
  std::vector<CategoryCell> cells;
};
struct CategoryPlotOptions {
  std::string title, y_label;
  std::vector<std::string> categories;
  std::optional<double> reference;  // a dashed line across (full precision)
  std::string reference_label;
  // A cell whose mean is more than this below its category's best mean is off scale: drawn
  // as an arrow at the axis's foot with its value, and named under the plot, so that one
  // collapsed method does not squash the others.
  double off_scale_below_best = 25;
  int width = 560, height = 340;
};
std::string svg_category_plot(const std::vector<CategorySeries>& series, const CategoryPlotOptions& options);

// A scatter of (cost, metric) points, one marker per method (its fixed look) labelled with its
// bit-width, and the Pareto front (no other point is cheaper and better) as a dashed step line.
struct ScatterPoint {
  std::string method, label;  // label: beside the marker (the bit-width)
  double x = 0, y = 0;
};
struct ScatterOptions {
  std::string title, x_label, y_label;
  int width = 520, height = 340;
};
std::string svg_pareto_plot(const std::vector<ScatterPoint>& points, const ScatterOptions& options);
// The points on the Pareto front (smaller x and larger y are better), by increasing x.
std::vector<ScatterPoint> pareto_front(std::vector<ScatterPoint> points);

// The fixed colour and marker of a method in every plot of every report (registry methods
// first; any other name gets one by its hash).
struct MethodStyle {
  std::string colour;
  int marker = 0;  // 0 circle, 1 square, 2 triangle, 3 diamond, 4 inverted triangle, 5 pentagon, 6 cross, 7 plus
};
MethodStyle method_style(const std::string& method);
std::string xml_escape(const std::string& text);

}  // namespace dfq
