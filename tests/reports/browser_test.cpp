// #16 §3: the HTML report in a real headless browser (Debian's chromium): the page renders
// to a screenshot, its plots are visible (thousands of coloured pixels: the methods' markers,
// error bars, bands and lines; a blank or unstyled page has none), and every link and source
// in it points at something that exists. Skipped, saying why, where chromium is not
// installed; under CI (CI set) a missing chromium fails.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/store/run_store.h"
#include "reports/report.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

using testing::slurp;

std::string find_chromium() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
    if (std::filesystem::exists(p)) return p;
  return "";
}

uint32_t be32(const std::string& s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) | (uint32_t(uint8_t(s[at + 2])) << 8) |
         uint32_t(uint8_t(s[at + 3]));
}

// The RGB pixels of an 8-bit, non-interlaced RGB or RGBA PNG (what chromium writes), or
// nothing when the file is something else.
struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
};
Image decode_png(const std::string& png) {
  Image img;
  if (png.size() < 33 || png.compare(1, 3, "PNG") != 0) return img;
  const int w = static_cast<int>(be32(png, 16)), h = static_cast<int>(be32(png, 20));
  const int depth = uint8_t(png[24]), type = uint8_t(png[25]), interlace = uint8_t(png[28]);
  if (depth != 8 || (type != 2 && type != 6) || interlace != 0) return img;
  const int channels = type == 6 ? 4 : 3;
  std::string idat;
  for (size_t at = 8; at + 8 <= png.size();) {
    const uint32_t len = be32(png, at);
    const std::string kind = png.substr(at + 4, 4);
    if (kind == "IDAT") idat += png.substr(at + 8, len);
    at += 12 + len;
  }
  const size_t stride = static_cast<size_t>(w) * channels;
  std::vector<uint8_t> raw((stride + 1) * h);
  uLongf raw_size = raw.size();
  if (uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) != Z_OK ||
      raw_size != raw.size())
    return img;
  // Undo each row's filter (PNG specification, section 9).
  std::vector<uint8_t> pix(stride * h), zero(stride, 0);
  for (int y = 0; y < h; ++y) {
    const uint8_t filter = raw[y * (stride + 1)];
    const uint8_t* in = &raw[y * (stride + 1) + 1];
    uint8_t* out = &pix[y * stride];
    const uint8_t* up = y > 0 ? &pix[(y - 1) * stride] : zero.data();
    for (size_t i = 0; i < stride; ++i) {
      const int a = i >= static_cast<size_t>(channels) ? out[i - channels] : 0;
      const int b = up[i];
      const int c = i >= static_cast<size_t>(channels) ? up[i - channels] : 0;
      int pred = 0;
      switch (filter) {
        case 1: pred = a; break;
        case 2: pred = b; break;
        case 3: pred = (a + b) / 2; break;
        case 4: {
          const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: pred = 0;
      }
      out[i] = static_cast<uint8_t>(in[i] + pred);
    }
  }
  img.width = w;
  img.height = h;
  img.rgb.reserve(static_cast<size_t>(w) * h * 3);
  for (size_t p = 0; p < static_cast<size_t>(w) * h; ++p)
    for (int ch = 0; ch < 3; ++ch) img.rgb.push_back(pix[p * channels + ch]);
  return img;
}

// Pixels whose channels differ by more than 40: colour, not white, grey or black text.
size_t coloured_pixels(const Image& img) {
  size_t n = 0;
  for (size_t p = 0; p + 2 < img.rgb.size(); p += 3) {
    const int r = img.rgb[p], g = img.rgb[p + 1], b = img.rgb[p + 2];
    n += std::max({r, g, b}) - std::min({r, g, b}) > 40;
  }
  return n;
}

// `chromium --headless --screenshot` of `html` (a file) into `png`; its exit status.
int screenshot(const std::string& chromium, const std::string& html, const std::string& png,
               const std::string& log) {
  const std::string cmd = "timeout 120 " + chromium +
                          " --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run "
                          "--window-size=1200,2400 --screenshot='" + png + "' 'file://" + html + "' > '" + log +
                          "' 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// A store with what the report draws: three methods at two bit-widths, two seeds each, with
// training curves and deployment figures.
void fill(RunStore& store) {
  Environment e;
  e.host = "test";
  for (const auto& [method, base] : {std::pair<std::string, double>{"gdfq", 84}, {"adasg", 86}, {"noise", 78}})
    for (int bits : {3, 4})
      for (int64_t seed : {0, 1}) {
        RunKey k{"browser", method, "resnet20", "cifar10", bits, bits, seed};
        const auto id = store.begin_run(k, R"({"lambda_l":0.3,"lambda_u":0.8})", "h", e, method, 2020);
        for (int epoch = 1; epoch <= 6; ++epoch)
          store.log_curves(id, epoch,
                           {{"test_top1", base - 10.0 / epoch + seed}, {"h_p50", 0.4 + 0.02 * epoch},
                            {"q_loss", -900.0 - epoch}, {"g_bns", 1.0 / epoch}});
        store.finish_run(id, {{"top1", base + (bits - 4) * 6 + seed},
                              {"fp_top1", 92},
                              {"weight_bytes_fp32", 1.1e6},
                              {"weight_bytes_packed", bits * 4.5e4},
                              {"latency_ms_p50_int8_b1", 0.1 * bits},
                              {"latency_ms_p95_int8_b1", 0.12 * bits},
                              {"latency_ms_p50_fp32_b1", 0.9}});
      }
}

TEST(Browser, TheHtmlReportRendersWithVisiblePlotsAndNoBrokenLinks) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    if (std::getenv("CI")) FAIL() << "no chromium: install it (scripts/setup.sh --with-browser)";
    GTEST_SKIP() << "no chromium: install Debian's chromium (scripts/setup.sh --with-browser) for the browser check";
  }
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  fill(store);
  ReportOptions o;
  o.suite = "browser";
  const std::string html = render_html(build_report(store, o, {}));
  std::ofstream(dir.file("report.html")) << html;
  std::ofstream(dir.file("blank.html")) << "<!DOCTYPE html><html><body><p>nothing</p></body></html>\n";

  ASSERT_EQ(screenshot(chromium, dir.file("report.html"), dir.file("report.png"), dir.file("report.log")), 0)
      << slurp(dir.file("report.log"));
  ASSERT_EQ(screenshot(chromium, dir.file("blank.html"), dir.file("blank.png"), dir.file("blank.log")), 0)
      << slurp(dir.file("blank.log"));
  const Image shot = decode_png(slurp(dir.file("report.png")));
  const Image blank = decode_png(slurp(dir.file("blank.png")));
  ASSERT_EQ(shot.width, 1200) << "not a screenshot chromium wrote as RGB(A) PNG";
  ASSERT_EQ(blank.width, 1200);
  EXPECT_EQ(coloured_pixels(blank), 0u) << "the blank page has colour: the check would not see missing plots";
  EXPECT_GT(coloured_pixels(shot), 5000u) << "the plots are not visible in the screenshot";

  // Links and sources: in-page anchors must name an element; files must exist beside the page.
  std::set<std::string> ids;
  const std::regex id_re(R"re(\bid="([^"]+)")re"), ref_re(R"re(\b(?:href|src)="([^"]*)")re");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), id_re); it != std::sregex_iterator(); ++it)
    ids.insert((*it)[1]);
  int refs = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), ref_re); it != std::sregex_iterator(); ++it) {
    const std::string ref = (*it)[1];
    ++refs;
    if (ref.rfind("data:", 0) == 0) continue;
    if (!ref.empty() && ref[0] == '#') {
      EXPECT_TRUE(ids.count(ref.substr(1))) << "broken anchor " << ref;
      continue;
    }
    EXPECT_EQ(ref.find("://"), std::string::npos) << "the report links outside itself: " << ref;
    EXPECT_TRUE(std::filesystem::exists(dir.file(ref))) << "broken link " << ref;
  }
  RecordProperty("links", refs);
}

}  // namespace
}  // namespace dfq
