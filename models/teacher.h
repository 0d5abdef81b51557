// Full-precision teacher training: SGD (Nesterov, momentum 0.9, weight decay 5e-4),
// cosine learning-rate decay per iteration, random crop + horizontal flip.
#pragma once
#include <string>

#include "core/data/dataset.h"
#include "models/zoo.h"

namespace dfq {

struct TeacherOptions {
  std::string model = "resnet20";
  std::string dataset = "fashion-mnist";
  std::string data_root;
  int epochs = 15;
  int64_t batch_size = 128;
  double lr = 0.1;
  double weight_decay = 5e-4;
  uint64_t seed = 0;
  int64_t val_size = kAutoValSize;  // core/data/dataset.h: 5,000 for every full data set
  std::string device = "cpu";  // cpu | cuda | cuda:N | auto; the returned net is on the CPU
  std::string command;  // recorded in the manifest
};

struct TeacherResult {
  Net net;
  TeacherManifest manifest;
};

TeacherResult train_teacher(const TeacherOptions& options);

struct ImportOptions {
  std::string from;     // a state dict with pytorchcv's names (scripts/export_pytorchcv.py)
  std::string model;    // this project's architecture (resnet20, ...)
  std::string dataset;  // what it was trained on: channels, classes and image size
  std::string data_root;
  std::string command;  // recorded in the manifest
};

struct ImportResult {
  Net net;                    // on the CPU, eval mode
  TeacherManifest manifest;   // test_top1 / val_top1 -1 when the data set is absent
  std::string data_missing;   // why it was not evaluated ("" when it was)
};

// Reads the file, maps pytorchcv's names onto the architecture, checks every shape, and
// evaluates the teacher on the data set's test and validation splits when they are present.
ImportResult import_teacher(const ImportOptions& options);

}  // namespace dfq
