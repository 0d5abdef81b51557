#include "reports/svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace dfq {
namespace {

const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#17becf", "#bcbd22"};

// "Nice" tick step for a range: 1, 2 or 5 times a power of ten.
double nice_step(double span, int target) {
  const double raw = span / std::max(1, target);
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * p) return m * p;
  return 10 * p;
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// The plot's data range (padded, y on tick steps) and its pixel frame.
struct Frame {
  double x0, x1, y0, y1, ystep;
  int left = 58, right = 150, top = 30, bottom = 46;
  double pw = 0, ph = 0;
  double px(double x) const { return left + (x - x0) / (x1 - x0) * pw; }
  double py(double y) const { return top + (1 - (y - y0) / (y1 - y0)) * ph; }
};

Frame fit_frame(const std::vector<PlotSeries>& series, const PlotOptions& o) {
  Frame f;
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      const double e = i < s.err.size() ? s.err[i] : 0.0;
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i] - e);
      y1 = std::max(y1, s.y[i] + e);
    }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 == x0) x0 -= 0.5, x1 += 0.5;
  if (y1 == y0) y0 -= 1, y1 += 1;
  f.ystep = nice_step(y1 - y0, 5);
  f.y0 = std::floor(y0 / f.ystep) * f.ystep;
  f.y1 = std::ceil(y1 / f.ystep) * f.ystep;
  const double pad_x = (x1 - x0) * 0.05;
  f.x0 = x0 - pad_x;
  f.x1 = x1 + pad_x;
  f.pw = o.width - f.left - f.right;
  f.ph = o.height - f.top - f.bottom;
  return f;
}

// Title, grid, ticks, frame and axis labels.
std::string axes_svg(const Frame& f, const PlotOptions& o) {
  std::string s = fmt::format("<text x=\"{}\" y=\"18\" font-size=\"13\" font-weight=\"bold\">{}</text>\n", f.left,
                              xml_escape(o.title));
  for (double y = f.y0; y <= f.y1 + f.ystep * 1e-6; y += f.ystep) {
    s += fmt::format("<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", f.px(f.x0),
                     f.px(f.x1), f.py(y), f.py(y));
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:g}</text>\n", f.left - 6.0, f.py(y) + 4, y);
  }
  std::vector<std::pair<double, std::string>> xt = o.x_ticks;
  if (xt.empty()) {
    const double step = nice_step(f.x1 - f.x0, 6);
    for (double x = std::ceil(f.x0 / step) * step; x <= f.x1; x += step) xt.emplace_back(x, fmt::format("{:g}", x));
  }
  for (const auto& [x, label] : xt)
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", f.px(x), f.top + f.ph + 16,
                     xml_escape(label));
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#333\"/>\n",
                   f.left, f.top, f.pw, f.ph);
  s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", f.left + f.pw / 2, o.height - 8,
                   xml_escape(o.x_label));
  s += fmt::format("<text transform=\"translate(14,{:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
                   f.top + f.ph / 2, xml_escape(o.y_label));
  return s;
}

// One series: its line, points, error bars and legend entry (the k-th).
std::string series_svg(const Frame& f, const PlotSeries& se, size_t k) {
  const char* colour = kColours[k % 10];
  std::string points;
  for (size_t i = 0; i < se.x.size(); ++i)
    if (std::isfinite(se.y[i])) points += fmt::format("{:.1f},{:.1f} ", f.px(se.x[i]), f.py(se.y[i]));
  std::string s = fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{} points=\"{}\"/>\n", colour,
                              se.dashed ? " stroke-dasharray=\"5,3\"" : "", points);
  for (size_t i = 0; i < se.x.size(); ++i) {
    if (!std::isfinite(se.y[i])) continue;
    s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", f.px(se.x[i]), f.py(se.y[i]),
                     colour);
    if (i < se.err.size() && se.err[i] > 0)
      s += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\"/>\n",
                       f.px(se.x[i]), f.py(se.y[i] - se.err[i]), f.py(se.y[i] + se.err[i]), colour);
  }
  const double ly = f.top + 10 + 16.0 * k;
  s += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" stroke-width=\"2\"{4}/>\n",
                   f.left + f.pw + 10, f.left + f.pw + 30, ly, colour, se.dashed ? " stroke-dasharray=\"5,3\"" : "");
  s += fmt::format("<text x=\"{}\" y=\"{:.1f}\">{}</text>\n", f.left + f.pw + 34, ly + 4, xml_escape(se.name));
  return s;
}

}  // namespace

std::string svg_line_plot(const std::vector<PlotSeries>& series, const PlotOptions& o) {
  const Frame f = fit_frame(series, o);
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      o.width, o.height, o.width, o.height);
  s += axes_svg(f, o);
  for (size_t k = 0; k < series.size(); ++k) s += series_svg(f, series[k], k);
  return s + "</svg>\n";
}

}  // namespace dfq
