// The teacher zoo: trained full-precision weights plus a manifest per (data set, model),
// under models/zoo/<dataset>/<model>.{pt,json}.
#pragma once
#include <string>

#include "models/net.h"

namespace dfq {

struct TeacherManifest {
  std::string dataset, model;
  int in_channels = 1, num_classes = 10, image_size = 28;
  uint64_t seed = 0;
  int epochs = 0;
  double test_top1 = 0, val_top1 = 0;
  std::string sha256;        // of the .pt file
  double seconds = 0;
  std::string command;       // the command line that trained it
  std::string torch_version;
  std::string created_at;
  // Imported teachers (`dfq teacher import`): where the weights came from and the sha256 of
  // the file they were read from; empty for teachers trained here.
  std::string source, source_sha256;
};

std::string default_zoo_dir();
std::string teacher_weights_path(const std::string& zoo, const std::string& dataset, const std::string& model);
std::string teacher_manifest_path(const std::string& zoo, const std::string& dataset, const std::string& model);

// Writes weights and manifest atomically (temporary file, then rename); fills sha256.
void save_teacher(const Net& net, TeacherManifest manifest, const std::string& zoo);

TeacherManifest read_manifest(const std::string& path);

// The teacher's files without loading the weights: the manifest exists, its data set and
// model match the request, the weights' sha256 matches. Throws (one line, what to do) when
// not; returns the manifest. What a sweep checks of every teacher before it starts a cell.
TeacherManifest check_teacher_files(const std::string& dataset, const std::string& model, const std::string& zoo);

// Loads and verifies: check_teacher_files, and the weights fit the architecture.
Net load_teacher(const std::string& dataset, const std::string& model, const std::string& zoo,
                 TeacherManifest* manifest_out = nullptr);

}  // namespace dfq
