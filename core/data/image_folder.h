// Image-folder data sets (ImageNet's ILSVRC2012 layout: <split>/<class>/<image>.JPEG) as lists
// of files that are decoded when a batch asks for them: the memory a set takes is its file
// names, whatever its number of images.
#pragma once
#include <string>
#include <vector>

#include "core/data/dataset.h"

namespace dfq {

struct ImageFiles {
  std::string root;                // the split's folder
  std::vector<std::string> names;  // relative to root: <class>/<file>
  int resize = 256;                // shorter side after resizing
  int crop = 224;                  // centre crop
};

// The classes and files of an image folder in torchvision's ImageFolder order (the order the
// official code and its pretrained teachers use): classes are the sorted sub-folder names and a
// class's label its index; files are walked recursively (symbolic links followed) and sorted.
// Files ending .jpg/.jpeg (any case) are images; other files are ignored, except other image
// formats (.png, .bmp, ...), which are an error naming one (this reader decodes JPEG only).
// Throws MissingFileError for a missing folder or a class without images.
struct FolderListing {
  std::vector<std::string> classes;
  std::vector<std::string> names;  // relative to the folder
  std::vector<int64_t> labels;
};
FolderListing list_image_folder(const std::string& dir);

// An ImageSet on disk: every image of `dir`, decoded as resize-shorter-side + centre crop.
// `classes`, when given, must equal the folder's classes (train and val must agree, or their
// labels would differ); `classes_out`, when given, receives them.
ImageSet image_folder_set(const std::string& dir, int resize, int crop,
                          const std::vector<std::string>* classes = nullptr,
                          std::vector<std::string>* classes_out = nullptr);

// Decodes the files at `indices` into uint8 [B, 3, crop, crop] on `threads` worker threads
// (0: decode_threads()). Throws the first file's error (CorruptFileError names it).
torch::Tensor decode_images(const ImageFiles& files, const std::vector<int64_t>& indices, int threads = 0);

// Worker threads for decoding: DFQ_DECODE_THREADS when set, else the machine's hardware threads.
int decode_threads();

}  // namespace dfq
