#!/usr/bin/env python3
"""For tests/core/imagenet_test.cpp: JPEG files made with Pillow (RGB, greyscale, CMYK; wide,
tall, smaller than the crop) and what torchvision's ImageNet evaluation transform makes of
them with Pillow: open, convert("RGB"), Resize(256) (shorter side to 256, the longer one
int(256 * long / short), Image.BILINEAR), CenterCrop(224) (offsets int(round((H - 224) / 2))).
torchvision itself is not needed: these are the steps of its transforms/functional.py.

usage: pillow_reference.py OUT_DIR
writes OUT_DIR/<name>.jpg and OUT_DIR/<name>.rgb (224 x 224 x 3 bytes, row-major) per case,
and OUT_DIR/cases.txt (one name per line).
"""
import math
import os
import sys

from PIL import Image


def pattern(w, h, mode, seed):
    img = Image.new("RGB", (w, h))
    px = img.load()
    for y in range(h):
        for x in range(w):
            r = int(127 + 120 * math.sin(0.05 * x * (1 + seed) + 0.03 * y))
            g = int(127 + 120 * math.cos(0.04 * y * (2 + seed) - 0.02 * x))
            b = (x * 7 + y * 3 + 31 * seed + ((x // 9 + y // 7) % 2) * 90) % 256
            px[x, y] = (r, g, b)
    return img if mode == "RGB" else img.convert(mode)


def transform(img):
    img = img.convert("RGB")
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    if short != 256:
        new_long = int(256 * long / short)
        img = img.resize((256, new_long) if w <= h else (new_long, 256), Image.BILINEAR)
    w, h = img.size
    if w < 224 or h < 224:
        raise SystemExit("cases are at least 224 after resizing")
    top, left = int(round((h - 224) / 2.0)), int(round((w - 224) / 2.0))
    return img.crop((left, top, left + 224, top + 224))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    cases = [("wide", 500, 375, "RGB", 0), ("tall", 333, 500, "RGB", 1), ("small", 90, 70, "RGB", 2),
             ("odd", 343, 257, "RGB", 3), ("grey", 400, 300, "L", 4), ("cmyk", 300, 280, "CMYK", 5),
             ("square", 256, 256, "RGB", 6)]
    names = []
    for name, w, h, mode, seed in cases:
        img = pattern(w, h, mode, seed)
        path = os.path.join(out, name + ".jpg")
        img.save(path, "JPEG", quality=85)
        ref = transform(Image.open(path))
        with open(os.path.join(out, name + ".rgb"), "wb") as f:
            f.write(ref.tobytes())
        names.append(name)
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("\n".join(names) + "\n")


if __name__ == "__main__":
    main()
