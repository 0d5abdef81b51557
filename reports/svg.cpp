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

// The opening of a plot: its size and a white background.
std::string svg_open(int width, int height) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      width, height);
}

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
      if (i < s.lo.size() && std::isfinite(s.lo[i])) y0 = std::min(y0, s.lo[i]);
      if (i < s.hi.size() && std::isfinite(s.hi[i])) y1 = std::max(y1, s.hi[i]);
    }
  for (const auto& [y, label] : o.y_lines)
    if (std::isfinite(y0)) y0 = std::min(y0, y), y1 = std::max(y1, y);
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
std::string series_svg(const Frame& f, const PlotSeries& se, size_t k, bool legend) {
  const std::string colour = se.colour.empty() ? kColours[k % 10] : se.colour;
  std::string points;
  for (size_t i = 0; i < se.x.size(); ++i)
    if (std::isfinite(se.y[i])) points += fmt::format("{:.1f},{:.1f} ", f.px(se.x[i]), f.py(se.y[i]));
  std::string s;
  if (!se.lo.empty() && se.lo.size() == se.x.size() && se.hi.size() == se.x.size()) {
    std::string band;
    for (size_t i = 0; i < se.x.size(); ++i)
      if (std::isfinite(se.hi[i])) band += fmt::format("{:.1f},{:.1f} ", f.px(se.x[i]), f.py(se.hi[i]));
    for (size_t i = se.x.size(); i-- > 0;)
      if (std::isfinite(se.lo[i])) band += fmt::format("{:.1f},{:.1f} ", f.px(se.x[i]), f.py(se.lo[i]));
    s += fmt::format("<polygon class=\"band\" points=\"{}\" fill=\"{}\" fill-opacity=\"0.18\" stroke=\"none\"/>\n",
                     band, colour);
  }
  s += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{} points=\"{}\"/>\n", colour,
                   se.dashed ? " stroke-dasharray=\"5,3\"" : "", points);
  for (size_t i = 0; i < se.x.size(); ++i) {
    if (!std::isfinite(se.y[i])) continue;
    s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", f.px(se.x[i]), f.py(se.y[i]),
                     colour);
    if (i < se.err.size() && se.err[i] > 0)
      s += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\"/>\n",
                       f.px(se.x[i]), f.py(se.y[i] - se.err[i]), f.py(se.y[i] + se.err[i]), colour);
  }
  if (!legend) return s;
  const double ly = f.top + 10 + 16.0 * k;
  s += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" stroke-width=\"2\"{4}/>\n",
                   f.left + f.pw + 10, f.left + f.pw + 30, ly, colour, se.dashed ? " stroke-dasharray=\"5,3\"" : "");
  s += fmt::format("<text x=\"{}\" y=\"{:.1f}\">{}</text>\n", f.left + f.pw + 34, ly + 4, xml_escape(se.name));
  return s;
}

}  // namespace

std::string svg_line_plot(const std::vector<PlotSeries>& series, const PlotOptions& o) {
  Frame f = fit_frame(series, o);
  const bool legend = o.legend;
  if (!legend) {
    f.right = 16;
    f.pw = o.width - f.left - f.right;
  }
  std::string s = svg_open(o.width, o.height);
  s += axes_svg(f, o);
  for (const auto& [y, label] : o.y_lines) {
    s += fmt::format("<line class=\"bound\" x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#555\" "
                     "stroke-dasharray=\"3,3\"/>\n",
                     f.px(f.x0), f.px(f.x1), f.py(y));
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"9\" fill=\"#555\">{}</text>\n", f.px(f.x0) + 3,
                     f.py(y) - 3, xml_escape(label));
  }
  for (size_t k = 0; k < series.size(); ++k) s += series_svg(f, series[k], k, legend);
  return s + "</svg>\n";
}

MethodStyle method_style(const std::string& method) {
  // Registry order (methods/registry.cpp), so a method keeps its look whichever others a plot shows.
  static const std::vector<std::string> known = {"noise", "realdata", "zeroq", "gdfq",
                                                 "qimera", "intraq", "adasg", "adadfq"};
  static const char* colours[] = {"#7f7f7f", "#8c564b", "#17becf", "#1f77b4",
                                  "#ff7f0e", "#9467bd", "#d62728", "#2ca02c"};
  const auto it = std::find(known.begin(), known.end(), method);
  if (it != known.end()) {
    const auto k = static_cast<size_t>(it - known.begin());
    return {colours[k], static_cast<int>(k)};
  }
  if (method == "full precision") return {"#000000", 7};  // the teacher, in every plot
  const size_t h = std::hash<std::string>{}(method);
  return {kColours[h % 10], static_cast<int>((h / 10) % 8)};
}

namespace {

// A marker of `style` centred at (x, y), radius r.
std::string marker_svg(const MethodStyle& st, double x, double y, double r) {
  auto polygon = [&](int corners, double turn) {
    std::string pts;
    for (int i = 0; i < corners; ++i) {
      const double a = turn + 2 * M_PI * i / corners;
      pts += fmt::format("{:.1f},{:.1f} ", x + r * std::sin(a), y - r * std::cos(a));
    }
    return fmt::format("<polygon points=\"{}\" fill=\"{}\"/>\n", pts, st.colour);
  };
  // Two strokes, (x1,y1)-(x2,y2) and (x3,y3)-(x4,y4).
  auto strokes = [&](double x1, double y1, double x2, double y2, double x3, double y3, double x4, double y4) {
    return fmt::format("<path d=\"M{:.1f},{:.1f}L{:.1f},{:.1f}M{:.1f},{:.1f}L{:.1f},{:.1f}\" stroke=\"{}\" "
                       "stroke-width=\"2.5\"/>\n",
                       x1, y1, x2, y2, x3, y3, x4, y4, st.colour);
  };
  switch (st.marker) {
    case 1: return fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"/>\n",
                               x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7, st.colour);
    case 2: return polygon(3, 0);
    case 3: return polygon(4, 0);
    case 4: return polygon(3, M_PI);
    case 5: return polygon(5, 0);
    case 6: return strokes(x - r, y - r, x + r, y + r, x - r, y + r, x + r, y - r);  // a cross
    case 7: return strokes(x - r, y, x + r, y, x, y - r, x, y + r);                  // a plus
    default: return fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{:.1f}\" fill=\"{}\"/>\n", x, y, r, st.colour);
  }
}

// The k-th legend entry right of the frame: a method's marker and its name.
std::string legend_marker(const Frame& f, size_t k, const MethodStyle& st, const std::string& name) {
  const double ly = f.top + 10 + 16.0 * static_cast<double>(k);
  return marker_svg(st, f.left + f.pw + 18, ly, 4.5) +
         fmt::format("<text x=\"{}\" y=\"{:.1f}\">{}</text>\n", f.left + f.pw + 30, ly + 4, xml_escape(name));
}

// The k-th legend entry right of the frame: a dashed line (`dashes`, e.g. "5,3") and its name.
std::string legend_dashes(const Frame& f, size_t k, const std::string& dashes, const std::string& name) {
  const double ly = f.top + 10 + 16.0 * static_cast<double>(k);
  return fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#333\" "
                     "stroke-dasharray=\"{3}\"/>\n<text x=\"{4}\" y=\"{5:.1f}\">{6}</text>\n",
                     f.left + f.pw + 10, f.left + f.pw + 26, ly, dashes, f.left + f.pw + 30, ly + 4, xml_escape(name));
}

}  // namespace

std::string svg_category_plot(const std::vector<CategorySeries>& series, const CategoryPlotOptions& o) {
  const size_t nc = std::max<size_t>(1, o.categories.size());
  // Each category's best mean, then what is on scale.
  std::vector<double> best(nc, -std::numeric_limits<double>::infinity());
  for (const auto& se : series)
    for (const auto& c : se.cells)
      if (c.category < nc && std::isfinite(c.mean)) best[c.category] = std::max(best[c.category], c.mean);
  auto on_scale = [&](const CategoryCell& c) {
    return c.category < nc && std::isfinite(c.mean) && c.mean >= best[c.category] - o.off_scale_below_best;
  };
  // The frame's y range: on-scale means with their bars and seeds, and the reference line.
  std::vector<PlotSeries> extent(1);
  for (const auto& se : series)
    for (const auto& c : se.cells) {
      if (!on_scale(c)) continue;
      extent[0].x.push_back(static_cast<double>(c.category));
      extent[0].y.push_back(c.mean);
      extent[0].err.push_back(c.err);
      for (double v : c.values)
        if (std::isfinite(v) && v >= best[c.category] - o.off_scale_below_best) {
          extent[0].x.push_back(static_cast<double>(c.category));
          extent[0].y.push_back(v);
          extent[0].err.push_back(0);
        }
    }
  if (o.reference) {
    extent[0].x.push_back(0);
    extent[0].y.push_back(*o.reference);
    extent[0].err.push_back(0);
  }
  std::vector<std::string> off;  // "method W3A3 39.47"
  for (const auto& se : series)
    for (const auto& c : se.cells)
      if (c.category < nc && std::isfinite(c.mean) && !on_scale(c))
        off.push_back(fmt::format("{} {} {:.2f}", se.name, c.category < o.categories.size() ? o.categories[c.category]
                                                                                             : std::string("?"),
                                  c.mean));
  PlotOptions po;
  po.title = o.title;
  po.y_label = o.y_label;
  po.x_label = "bit-width (weights/activations)";
  po.width = o.width;
  // The off-scale cells, named under the plot in lines that fit its width.
  std::vector<std::string> off_lines;
  if (!off.empty()) {
    const size_t fit = static_cast<size_t>(std::max(40.0, (o.width - 58) / 5.5));
    std::string line = fmt::format("below the axis (more than {:g} points under the best of their column):",
                                   o.off_scale_below_best);
    for (size_t i = 0; i < off.size(); ++i) {
      const std::string item = off[i] + (i + 1 < off.size() ? ";" : "");
      if (line.size() + 1 + item.size() > fit) {
        off_lines.push_back(line);
        line = item;
      } else {
        line += " " + item;
      }
    }
    off_lines.push_back(line);
  }
  po.height = o.height + 13 * static_cast<int>(off_lines.size()) + (off_lines.empty() ? 0 : 4);
  for (size_t i = 0; i < o.categories.size(); ++i) po.x_ticks.emplace_back(static_cast<double>(i), o.categories[i]);
  PlotOptions frame_options = po;
  frame_options.height = o.height;
  Frame f = fit_frame(extent, frame_options);
  f.x0 = -0.5;
  f.x1 = static_cast<double>(nc) - 0.5;
  std::string s = svg_open(po.width, po.height);
  s += axes_svg(f, frame_options);
  if (o.reference) {
    s += fmt::format("<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#333\" "
                     "stroke-dasharray=\"5,3\"/>\n",
                     f.px(f.x0), f.px(f.x1), f.py(*o.reference));
  }
  // Methods side by side within a category's slot.
  const double slot = f.pw / static_cast<double>(nc);
  const double step = std::min(16.0, slot * 0.8 / std::max<size_t>(1, series.size()));
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& se = series[k];
    const MethodStyle st = method_style(se.method);
    const double dx = (static_cast<double>(k) - (static_cast<double>(series.size()) - 1) / 2) * step;
    for (const auto& c : se.cells) {
      if (c.category >= nc || !std::isfinite(c.mean)) continue;
      const double x = f.px(static_cast<double>(c.category)) + dx;
      if (!on_scale(c)) {  // an arrow at the foot, pointing down, with the value
        const double y = f.top + f.ph - 4;
        s += fmt::format("<path d=\"M{0:.1f},{1:.1f}L{0:.1f},{2:.1f}M{3:.1f},{4:.1f}L{0:.1f},{2:.1f}L{5:.1f},{4:.1f}\" "
                         "stroke=\"{6}\" stroke-width=\"2\" fill=\"none\"/>\n",
                         x, y - 22, y, x - 4, y - 6, x + 4, st.colour);
        s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"9\" fill=\"{}\">{:.1f}</text>\n",
                         x, y - 25, st.colour, c.mean);
        continue;
      }
      if (c.err > 0) {
        const double y0 = f.py(c.mean - c.err), y1 = f.py(c.mean + c.err);
        s += fmt::format("<line class=\"bar\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\"/>\n",
                         x, y0, y1, st.colour);
        for (double y : {y0, y1})
          s += fmt::format("<line class=\"cap\" x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\"/>\n",
                           x - 4, x + 4, y, st.colour);
      }
      for (double v : c.values)
        if (std::isfinite(v) && v >= f.y0)
          s += fmt::format("<circle class=\"seed\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2\" fill=\"none\" stroke=\"{}\"/>\n",
                           x + 6, f.py(v), st.colour);
      s += marker_svg(st, x, f.py(c.mean), 4.5);
    }
    s += legend_marker(f, k, st, se.name);
  }
  if (o.reference && !o.reference_label.empty()) s += legend_dashes(f, series.size(), "5,3", o.reference_label);
  for (size_t i = 0; i < off_lines.size(); ++i)
    s += fmt::format("<text class=\"off-scale\" x=\"{}\" y=\"{}\" font-size=\"10\">{}</text>\n", f.left,
                     o.height + 10 + 13 * static_cast<int>(i), xml_escape(off_lines[i]));
  return s + "</svg>\n";
}

std::vector<ScatterPoint> pareto_front(std::vector<ScatterPoint> points) {
  std::sort(points.begin(), points.end(), [](const ScatterPoint& a, const ScatterPoint& b) {
    return a.x != b.x ? a.x < b.x : a.y > b.y;
  });
  std::vector<ScatterPoint> front;
  for (const auto& p : points)
    if (std::isfinite(p.x) && std::isfinite(p.y) && (front.empty() || p.y > front.back().y)) front.push_back(p);
  return front;
}

std::string svg_pareto_plot(const std::vector<ScatterPoint>& points, const ScatterOptions& o) {
  std::vector<PlotSeries> extent(1);
  std::vector<std::string> methods;  // legend, in order of appearance
  for (const auto& p : points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
    extent[0].x.push_back(p.x);
    extent[0].y.push_back(p.y);
    if (std::find(methods.begin(), methods.end(), p.method) == methods.end()) methods.push_back(p.method);
  }
  PlotOptions po;
  po.title = o.title;
  po.x_label = o.x_label;
  po.y_label = o.y_label;
  po.width = o.width;
  po.height = o.height;
  const Frame f = fit_frame(extent, po);
  std::string s = svg_open(o.width, o.height);
  s += axes_svg(f, po);
  const auto front = pareto_front(points);
  if (front.size() > 1) {
    std::string path;
    for (size_t i = 0; i < front.size(); ++i) {
      if (i > 0) path += fmt::format("{:.1f},{:.1f} ", f.px(front[i].x), f.py(front[i - 1].y));
      path += fmt::format("{:.1f},{:.1f} ", f.px(front[i].x), f.py(front[i].y));
    }
    s += fmt::format("<polyline class=\"front\" fill=\"none\" stroke=\"#333\" stroke-dasharray=\"4,3\" "
                     "points=\"{}\"/>\n",
                     path);
  }
  for (const auto& p : points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
    const MethodStyle st = method_style(p.method);
    s += marker_svg(st, f.px(p.x), f.py(p.y), 4.5);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"9\" fill=\"#555\">{}</text>\n", f.px(p.x) + 6,
                     f.py(p.y) - 5, xml_escape(p.label));
  }
  for (size_t k = 0; k < methods.size(); ++k) s += legend_marker(f, k, method_style(methods[k]), methods[k]);
  return s + legend_dashes(f, methods.size(), "4,3", "Pareto front") + "</svg>\n";
}

}  // namespace dfq
