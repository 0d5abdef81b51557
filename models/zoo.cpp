#include "models/zoo.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/util/env.h"
#include "core/util/error.h"
#include "core/util/sha256.h"

namespace dfq {
namespace {

nlohmann::json to_json(const TeacherManifest& m) {
  return {{"dataset", m.dataset}, {"model", m.model}, {"in_channels", m.in_channels},
          {"num_classes", m.num_classes}, {"image_size", m.image_size}, {"seed", m.seed},
          {"epochs", m.epochs}, {"test_top1", m.test_top1}, {"val_top1", m.val_top1},
          {"sha256", m.sha256}, {"seconds", m.seconds}, {"command", m.command},
          {"torch_version", m.torch_version}, {"created_at", m.created_at}, {"source", m.source},
          {"source_sha256", m.source_sha256}};
}

}  // namespace

std::string default_zoo_dir() {
  if (const char* env = std::getenv("DFQ_ZOO")) return env;
  return source_dir() + "/models/zoo";
}

std::string teacher_weights_path(const std::string& zoo, const std::string& dataset, const std::string& model) {
  return fmt::format("{}/{}/{}.pt", zoo, dataset, model);
}

std::string teacher_manifest_path(const std::string& zoo, const std::string& dataset, const std::string& model) {
  return fmt::format("{}/{}/{}.json", zoo, dataset, model);
}

void save_teacher(const Net& net, TeacherManifest m, const std::string& zoo) {
  {
    const auto dir = std::filesystem::path(zoo) / m.dataset;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw Error(fmt::format("cannot create the zoo folder '{}': {}", dir.string(), ec.message()));
  }
  const auto weights = teacher_weights_path(zoo, m.dataset, m.model);
  const auto manifest = teacher_manifest_path(zoo, m.dataset, m.model);
  torch::save(net, weights + ".tmp");
  m.sha256 = sha256_file(weights + ".tmp");
  {
    std::ofstream out(manifest + ".tmp");
    out << to_json(m).dump(2) << "\n";
    if (!out) throw Error(fmt::format("cannot write '{}'", manifest + ".tmp"));
  }
  if (std::rename((weights + ".tmp").c_str(), weights.c_str()) != 0 ||
      std::rename((manifest + ".tmp").c_str(), manifest.c_str()) != 0)
    throw Error(fmt::format("cannot move the new teacher into '{}'", zoo));
}

TeacherManifest read_manifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw MissingFileError(fmt::format("teacher manifest not found: '{}'", path));
  nlohmann::json j;
  try {
    in >> j;
    TeacherManifest m;
    m.dataset = j.at("dataset").get<std::string>();
    m.model = j.at("model").get<std::string>();
    m.in_channels = j.at("in_channels").get<int>();
    m.num_classes = j.at("num_classes").get<int>();
    m.image_size = j.at("image_size").get<int>();
    m.seed = j.value("seed", uint64_t{0});
    m.epochs = j.value("epochs", 0);
    m.test_top1 = j.value("test_top1", 0.0);
    m.val_top1 = j.value("val_top1", 0.0);
    m.sha256 = j.at("sha256").get<std::string>();
    m.seconds = j.value("seconds", 0.0);
    m.command = j.value("command", std::string());
    m.torch_version = j.value("torch_version", std::string());
    m.created_at = j.value("created_at", std::string());
    m.source = j.value("source", std::string());
    m.source_sha256 = j.value("source_sha256", std::string());
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw CorruptFileError(fmt::format("teacher manifest '{}' is malformed ({}); retrain with `dfq teacher`", path,
                                       e.what()));
  }
}

TeacherManifest check_teacher_files(const std::string& dataset, const std::string& model, const std::string& zoo) {
  const auto weights = teacher_weights_path(zoo, dataset, model);
  const auto manifest_path = teacher_manifest_path(zoo, dataset, model);
  std::error_code ec;
  if (!std::filesystem::exists(manifest_path, ec) || !std::filesystem::exists(weights, ec))
    throw MissingFileError(fmt::format(
        "no {} teacher for {} in the zoo (expected '{}' and its .json manifest); train one with "
        "`dfq teacher --model {} --dataset {}`, or copy pretrained weights there",
        model, dataset, weights, model, dataset));
  TeacherManifest m = read_manifest(manifest_path);
  if (m.dataset != dataset || m.model != model)
    throw InvalidInputError(fmt::format("'{}' describes a {} teacher for {}, not {} for {}", manifest_path, m.model,
                                        m.dataset, model, dataset));
  const auto& sum = sha256_file(weights);
  if (sum != m.sha256)
    throw CorruptFileError(fmt::format("'{}' does not match its manifest (sha256 {} != {}): the file is corrupt or "
                                       "was replaced; retrain with `dfq teacher --model {} --dataset {}`",
                                       weights, sum.substr(0, 12), m.sha256.substr(0, 12), model, dataset));
  return m;
}

Net load_teacher(const std::string& dataset, const std::string& model, const std::string& zoo,
                 TeacherManifest* manifest_out) {
  const auto weights = teacher_weights_path(zoo, dataset, model);
  const TeacherManifest m = check_teacher_files(dataset, model, zoo);
  Net net = make_model({model, m.in_channels, m.num_classes, m.image_size});
  try {
    torch::load(net, weights);
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    throw CorruptFileError(fmt::format("'{}' does not fit the {} architecture ({}); retrain the teacher", weights,
                                       model, what.substr(0, what.find('\n'))));
  }
  net->eval();
  if (manifest_out) *manifest_out = m;
  return net;
}

}  // namespace dfq
