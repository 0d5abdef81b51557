#include "apps/cell.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (in format.h before fmt 11)

#include <algorithm>
#include <fstream>

#include "core/data/dataset.h"
#include "core/quant/fake_quant.h"
#include "core/util/atomic_file.h"
#include "core/util/device.h"
#include "core/util/error.h"
#include "methods/registry.h"
#include "models/net.h"

namespace dfq {
namespace {

constexpr const char* kFormat = "dfqbench-cell/1";

const MethodDescriptor& method_for_bits(const RunKey& key) {
  const auto& method = find_method(key.method);
  check_bits(key.w_bits, "weight");
  check_bits(key.a_bits, "activation");
  for (int b : {key.w_bits, key.a_bits})
    if (std::find(method.bits.begin(), method.bits.end(), b) == method.bits.end())
      throw InvalidInputError(fmt::format("{} does not support {}-bit quantization; supported: {}", method.name, b,
                                          fmt::join(method.bits, ", ")));
  return method;
}

ModelSpec model_spec(const RunKey& key) {
  const auto& info = dataset_info(key.dataset);
  ModelSpec spec{key.model, info.channels, info.classes, info.size};
  make_model(spec);  // unknown model names fail here, with the valid list
  return spec;
}

const std::vector<std::string>& preset_of(const MethodDescriptor& method, const std::string& name) {
  auto it = method.presets.find(name);
  if (it != method.presets.end()) return it->second;
  std::vector<std::string> names;
  for (const auto& [n, v] : method.presets) names.push_back(n);
  throw InvalidInputError(fmt::format("{} has no preset '{}'; valid: {}", method.name, name, fmt::join(names, ", ")));
}

// The quantizer of the cell: bits from the key, the rest from the configuration.
QuantConfig quant_of(const RunKey& key, const Config& config) {
  QuantConfig q = quant_block().read(config);
  q.w_bits = key.w_bits;
  q.a_bits = key.a_bits;
  return q;
}

// The method's deviations and the cell's own notes.
std::vector<std::string> notes_of(const ResolvedCell& cell, const ModelSpec& spec) {
  std::vector<std::string> notes = cell.method->deviations;
  if (cell.method->cell_notes)
    for (auto& n : cell.method->cell_notes(cell.config, cell.quant, spec)) notes.push_back(std::move(n));
  return notes;
}

}  // namespace

ResolvedCell resolve_cell(const CellRequest& req) {
  ResolvedCell cell;
  cell.key = req.key;
  cell.data_root = req.data_root;
  cell.zoo = req.zoo;
  check_device_name(req.device);
  cell.device = req.device;
  cell.method = &method_for_bits(req.key);
  const auto spec = model_spec(req.key);
  cell.config = Config(cell.method->params);
  if (!req.preset.empty())
    for (const auto& o : preset_of(*cell.method, req.preset)) cell.config.set_assignment(o);
  for (const auto& o : req.overrides) cell.config.set_assignment(o);
  cell.quant = quant_of(req.key, cell.config);
  if (cell.method->resolve) cell.method->resolve(cell.config, cell.quant, spec);
  if (cell.method->validate) cell.method->validate(cell.config, cell.quant);
  cell.notes = notes_of(cell, spec);
  return cell;
}

nlohmann::json ResolvedCell::to_json() const {
  return {{"format", kFormat},         {"suite", key.suite},   {"method", key.method}, {"model", key.model},
          {"dataset", key.dataset},    {"w_bits", key.w_bits}, {"a_bits", key.a_bits}, {"seed", key.seed},
          {"data_root", data_root},    {"zoo", zoo},           {"device", device},
          {"config", config.json()},
          {"notes", notes}};
}

ResolvedCell ResolvedCell::from_json(const nlohmann::json& j) {
  ResolvedCell cell;
  try {
    if (!j.is_object() || j.value("format", "") != kFormat)
      throw InvalidInputError(fmt::format("not a resolved cell: expected \"format\": \"{}\"", kFormat));
    cell.key.suite = j.at("suite").get<std::string>();
    cell.key.method = j.at("method").get<std::string>();
    cell.key.model = j.at("model").get<std::string>();
    cell.key.dataset = j.at("dataset").get<std::string>();
    cell.key.w_bits = j.at("w_bits").get<int>();
    cell.key.a_bits = j.at("a_bits").get<int>();
    cell.key.seed = j.at("seed").get<int64_t>();
    cell.data_root = j.value("data_root", "");
    cell.zoo = j.value("zoo", "");
    cell.device = j.value("device", "cpu");
  } catch (const nlohmann::json::exception& e) {
    throw InvalidInputError(fmt::format("resolved cell: {}", e.what()));
  }
  check_device_name(cell.device);
  cell.method = &method_for_bits(cell.key);
  const auto spec = model_spec(cell.key);
  if (!j.contains("config")) throw InvalidInputError("resolved cell: missing \"config\"");
  cell.config = Config::from_json(cell.method->params, j.at("config"));
  cell.quant = quant_of(cell.key, cell.config);
  if (cell.method->validate) cell.method->validate(cell.config, cell.quant);
  cell.notes = notes_of(cell, spec);  // derived again: a file cannot change what the store says
  return cell;
}

ResolvedCell load_resolved_cell(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw MissingFileError(fmt::format("no resolved cell at {}", path));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw InvalidInputError(fmt::format("{}: not valid JSON: {}", path, e.what()));
  }
  try {
    return ResolvedCell::from_json(j);
  } catch (const InvalidInputError& e) {
    throw InvalidInputError(fmt::format("{}: {}", path, e.what()));
  }
}

void write_resolved_cell(const std::string& path, const ResolvedCell& cell) {
  write_text_atomically(path, cell.to_json().dump(2) + "\n");
}

}  // namespace dfq
