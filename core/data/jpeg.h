// JPEG files to uint8 RGB pixels (libjpeg-turbo), and the ImageNet evaluation transform:
// resize the shorter side to 256 with PIL's antialiased bilinear filter, then a centre crop of
// 224 (torchvision's Resize(256) + CenterCrop(224) on PIL images, as the official code's
// ImageNet loaders do: xushoukai/GDFQ dataloader.py, hfutqian/AdaSG dataloader.py).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dfq {

struct RgbImage {
  int height = 0, width = 0;
  std::vector<uint8_t> pixels;  // height x width x 3, row-major (HWC)
};

// Decodes a baseline or progressive JPEG, colour or greyscale, to RGB; CMYK/YCCK JPEGs are
// converted the way PIL's convert("RGB") does. Throws CorruptFileError naming the file (not a
// JPEG, truncated, unreadable) or MissingFileError.
RgbImage decode_jpeg_file(const std::string& path);
RgbImage decode_jpeg(const std::vector<uint8_t>& bytes, const std::string& name_for_errors);

// PIL's Image.resize(..., BILINEAR) (Pillow's Resample.c: a triangle filter whose support grows
// with the reduction, horizontal pass then vertical, 8-bit fixed point with rounding).
RgbImage resize_bilinear(const RgbImage& in, int out_height, int out_width);

// torchvision's Resize(shorter): the shorter side becomes `shorter`, the longer one
// int(shorter * long / short).
RgbImage resize_shorter_side(const RgbImage& in, int shorter);

// torchvision's CenterCrop(size): offsets round((H - size) / 2) with Python's round-half-even.
// An image smaller than `size` is zero-padded first, as torchvision does.
RgbImage center_crop(const RgbImage& in, int size);

// Writes `img` as channel-planar uint8 (3 x H x W) to `out`.
void to_planar(const RgbImage& img, uint8_t* out);

// Encodes RGB pixels as a JPEG file (quality 1..100); for tests and tools that make data.
void write_jpeg_file(const std::string& path, const RgbImage& img, int quality = 90);

}  // namespace dfq
