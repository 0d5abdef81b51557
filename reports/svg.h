// A small SVG line-plot writer for the report pages (no external tools, no scripts).
#pragma once
#include <string>
#include <vector>

namespace dfq {

struct PlotSeries {
  std::string name;
  std::vector<double> x, y, err;  // err: optional half-height of an error bar per point
  bool dashed = false;
};

struct PlotOptions {
  std::string title, x_label, y_label;
  std::vector<std::pair<double, std::string>> x_ticks;  // empty: numeric ticks
  int width = 560, height = 340;
};

std::string svg_line_plot(const std::vector<PlotSeries>& series, const PlotOptions& options);
std::string xml_escape(const std::string& text);

}  // namespace dfq
