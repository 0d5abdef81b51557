#include "core/data/jpeg.h"

#include <fmt/format.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "core/util/error.h"

namespace dfq {
namespace {

struct TjHandle {
  explicit TjHandle(tjhandle h) : h(h) {}
  ~TjHandle() {
    if (h) tjDestroy(h);
  }
  TjHandle(const TjHandle&) = delete;
  TjHandle& operator=(const TjHandle&) = delete;
  tjhandle h;
};

std::string what_it_is(const std::vector<uint8_t>& b) {
  auto starts = [&](const char* magic, size_t n) { return b.size() >= n && std::memcmp(b.data(), magic, n) == 0; };
  if (starts("\x89PNG", 4)) return " (it is a PNG file; convert it to JPEG)";
  if (starts("GIF8", 4)) return " (it is a GIF file; convert it to JPEG)";
  if (starts("BM", 2)) return " (it looks like a BMP file; convert it to JPEG)";
  if (b.empty()) return " (the file is empty)";
  return "";
}

// Pillow's cmyk2rgb on the inverted ("Adobe") CMYK that its JPEG plugin assumes
// (Pillow JpegImagePlugin.py rawmode "CMYK;I", Convert.c cmyk2rgb, MULDIV255).
uint8_t cmyk_channel(uint8_t stored_c, uint8_t stored_k) {
  const int c = 255 - stored_c, nk = stored_k;  // "CMYK;I" inverts; nk = 255 - k = stored k
  const int t = c * nk + 128;
  const int v = nk - (((t >> 8) + t) >> 8);
  return static_cast<uint8_t>(std::clamp(v, 0, 255));
}

}  // namespace

RgbImage decode_jpeg(const std::vector<uint8_t>& bytes, const std::string& name) {
  TjHandle tj(tjInitDecompress());
  if (!tj.h) throw Error(fmt::format("{}: cannot start the JPEG decoder: {}", name, tjGetErrorStr2(nullptr)));
  int w = 0, h = 0, subsamp = 0, colorspace = 0;
  if (bytes.size() < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8 ||
      tjDecompressHeader3(tj.h, bytes.data(), bytes.size(), &w, &h, &subsamp, &colorspace) != 0)
    throw CorruptFileError(fmt::format("{} is not a readable JPEG{}", name, what_it_is(bytes)));
  if (w <= 0 || h <= 0 || static_cast<int64_t>(w) * h > (int64_t{1} << 28))
    throw CorruptFileError(fmt::format("{}: JPEG of {}x{} pixels is out of range", name, w, h));
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  const int channels = cmyk ? 4 : 3;
  std::vector<uint8_t> buf(static_cast<size_t>(w) * h * channels);
  // Default flags: accurate integer DCT and fancy upsampling, the settings Pillow decodes with.
  if (tjDecompress2(tj.h, bytes.data(), bytes.size(), buf.data(), w, 0, h, cmyk ? TJPF_CMYK : TJPF_RGB, 0) != 0) {
    const std::string msg = tjGetErrorStr2(tj.h);
    // Warnings (e.g. extraneous bytes before a marker) leave a full image, as Pillow accepts;
    // a truncated file does not (Pillow: "image file is truncated").
    if (tjGetErrorCode(tj.h) == TJERR_FATAL || msg.find("Premature end") != std::string::npos)
      throw CorruptFileError(fmt::format("{}: broken JPEG ({})", name, msg));
  }
  RgbImage out;
  out.height = h;
  out.width = w;
  if (!cmyk) {
    out.pixels = std::move(buf);
    return out;
  }
  out.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (size_t p = 0; p < static_cast<size_t>(w) * h; ++p)
    for (int c = 0; c < 3; ++c) out.pixels[p * 3 + c] = cmyk_channel(buf[p * 4 + c], buf[p * 4 + 3]);
  return out;
}

RgbImage decode_jpeg_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingFileError(fmt::format("cannot open image {}", path));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw CorruptFileError(fmt::format("cannot read image {}", path));
  return decode_jpeg(bytes, path);
}

namespace {

// Pillow's Resample.c: precompute_coeffs with the bilinear (triangle) filter, support 1,
// and normalize_coeffs_8bpc (PRECISION_BITS = 32 - 8 - 2).
constexpr int kPrecisionBits = 32 - 8 - 2;

struct Coeffs {
  int ksize = 0;
  std::vector<int> bounds;  // per output pixel: first input index, count
  std::vector<int32_t> k;   // per output pixel: ksize fixed-point weights
};

Coeffs precompute(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = 1.0 * filterscale;
  Coeffs c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.bounds.resize(2 * out_size);
  c.k.assign(static_cast<size_t>(out_size) * c.ksize, 0);
  std::vector<double> w(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      double t = std::fabs((x + xmin - center + 0.5) * ss);
      w[x] = t < 1.0 ? 1.0 - t : 0.0;
      ww += w[x];
    }
    for (int x = 0; x < xmax; ++x) {
      const double v = ww != 0.0 ? w[x] / ww : w[x];
      c.k[static_cast<size_t>(xx) * c.ksize + x] =
          static_cast<int32_t>(v < 0 ? -0.5 + v * (1 << kPrecisionBits) : 0.5 + v * (1 << kPrecisionBits));
    }
    c.bounds[2 * xx] = xmin;
    c.bounds[2 * xx + 1] = xmax;
  }
  return c;
}

uint8_t clip8(int64_t v) {
  v >>= kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

}  // namespace

RgbImage resize_bilinear(const RgbImage& in, int out_h, int out_w) {
  if (out_h <= 0 || out_w <= 0) throw InvalidInputError(fmt::format("resize to {}x{}", out_h, out_w));
  RgbImage horizontal;
  const RgbImage* cur = &in;  // no copy of the input: each pass reads the previous one's output
  if (out_w != in.width) {  // horizontal pass first, as Pillow does
    const Coeffs c = precompute(in.width, out_w);
    RgbImage& t = horizontal;
    t.height = in.height;
    t.width = out_w;
    t.pixels.resize(static_cast<size_t>(t.height) * out_w * 3);
    for (int y = 0; y < in.height; ++y) {
      const uint8_t* row = in.pixels.data() + static_cast<size_t>(y) * in.width * 3;
      uint8_t* orow = t.pixels.data() + static_cast<size_t>(y) * out_w * 3;
      for (int xx = 0; xx < out_w; ++xx) {
        const int xmin = c.bounds[2 * xx], n = c.bounds[2 * xx + 1];
        const int32_t* k = c.k.data() + static_cast<size_t>(xx) * c.ksize;
        for (int ch = 0; ch < 3; ++ch) {
          int64_t ss = int64_t{1} << (kPrecisionBits - 1);
          for (int x = 0; x < n; ++x) ss += static_cast<int64_t>(row[(x + xmin) * 3 + ch]) * k[x];
          orow[xx * 3 + ch] = clip8(ss);
        }
      }
    }
    cur = &horizontal;
  }
  if (out_h != in.height) {
    const Coeffs c = precompute(in.height, out_h);
    RgbImage t;
    t.height = out_h;
    t.width = cur->width;
    const size_t stride = static_cast<size_t>(cur->width) * 3;
    t.pixels.resize(static_cast<size_t>(out_h) * stride);
    for (int yy = 0; yy < out_h; ++yy) {
      const int ymin = c.bounds[2 * yy], n = c.bounds[2 * yy + 1];
      const int32_t* k = c.k.data() + static_cast<size_t>(yy) * c.ksize;
      uint8_t* orow = t.pixels.data() + static_cast<size_t>(yy) * stride;
      for (size_t i = 0; i < stride; ++i) {
        int64_t ss = int64_t{1} << (kPrecisionBits - 1);
        for (int y = 0; y < n; ++y) ss += static_cast<int64_t>(cur->pixels[(y + ymin) * stride + i]) * k[y];
        orow[i] = clip8(ss);
      }
    }
    return t;
  }
  if (cur == &in) return in;  // same size: a copy
  return horizontal;
}

RgbImage resize_shorter_side(const RgbImage& in, int shorter) {
  // torchvision transforms/functional.py _compute_resized_output_size.
  const bool wide = in.width >= in.height;
  const int s = wide ? in.height : in.width, l = wide ? in.width : in.height;
  if (s == shorter) return in;
  const int new_long = static_cast<int>(static_cast<int64_t>(shorter) * l / s);
  return wide ? resize_bilinear(in, shorter, new_long) : resize_bilinear(in, new_long, shorter);
}

RgbImage center_crop(const RgbImage& in, int size) {
  // torchvision transforms/functional.py center_crop: pad to at least size x size, then
  // top = int(round((H - size) / 2.0)), Python's round (half to even; nearbyint's default).
  RgbImage padded;
  const RgbImage* src_p = &in;  // the input itself unless it needs padding (no copy)
  if (in.width < size || in.height < size) {
    RgbImage& src = padded;
    const int pl = in.width < size ? (size - in.width) / 2 : 0, pt = in.height < size ? (size - in.height) / 2 : 0;
    const int pr = in.width < size ? (size - in.width + 1) / 2 : 0, pb = in.height < size ? (size - in.height + 1) / 2 : 0;
    src.width = in.width + pl + pr;
    src.height = in.height + pt + pb;
    src.pixels.assign(static_cast<size_t>(src.width) * src.height * 3, 0);
    for (int y = 0; y < in.height; ++y)
      std::memcpy(&src.pixels[((y + pt) * static_cast<size_t>(src.width) + pl) * 3],
                  &in.pixels[static_cast<size_t>(y) * in.width * 3], static_cast<size_t>(in.width) * 3);
    src_p = &padded;
  }
  const RgbImage& src = *src_p;
  const int top = static_cast<int>(std::nearbyint((src.height - size) / 2.0));
  const int left = static_cast<int>(std::nearbyint((src.width - size) / 2.0));
  RgbImage out;
  out.height = out.width = size;
  out.pixels.resize(static_cast<size_t>(size) * size * 3);
  for (int y = 0; y < size; ++y)
    std::memcpy(&out.pixels[static_cast<size_t>(y) * size * 3],
                &src.pixels[((y + top) * static_cast<size_t>(src.width) + left) * 3], static_cast<size_t>(size) * 3);
  return out;
}

void to_planar(const RgbImage& img, uint8_t* out) {
  const size_t plane = static_cast<size_t>(img.height) * img.width;
  for (size_t p = 0; p < plane; ++p)
    for (int c = 0; c < 3; ++c) out[c * plane + p] = img.pixels[p * 3 + c];
}

void write_jpeg_file(const std::string& path, const RgbImage& img, int quality) {
  TjHandle tj(tjInitCompress());
  if (!tj.h) throw Error(fmt::format("{}: cannot start the JPEG encoder", path));
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  if (tjCompress2(tj.h, img.pixels.data(), img.width, 0, img.height, TJPF_RGB, &jpeg, &size, TJSAMP_420, quality,
                  0) != 0)
    throw Error(fmt::format("{}: JPEG encoding failed: {}", path, tjGetErrorStr2(tj.h)));
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> owned(jpeg, [](unsigned char* p) { tjFree(p); });
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(jpeg), static_cast<std::streamsize>(size));
  if (!out) throw Error(fmt::format("cannot write {}", path));
}

}  // namespace dfq
