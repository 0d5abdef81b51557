#include "core/config/suite.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "core/util/env.h"
#include "core/util/error.h"

namespace dfq {
namespace {

namespace fs = std::filesystem;

std::string scalar_text(const YAML::Node& n, const std::string& where) {
  if (n.IsScalar()) return n.as<std::string>();
  if (n.IsSequence()) {  // a list value such as lr_steps: [100, 200] -> "100,200"
    std::string out;
    for (const auto& item : n) {
      if (!item.IsScalar()) throw InvalidInputError(fmt::format("{}: lists may hold only numbers", where));
      out += (out.empty() ? "" : ",") + item.as<std::string>();
    }
    return out;
  }
  if (n.IsNull()) return "";
  throw InvalidInputError(fmt::format("{}: expected a value or a list of values", where));
}

std::vector<std::pair<std::string, std::string>> assignments(const YAML::Node& n, const std::string& where) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!n) return out;
  if (!n.IsMap()) throw InvalidInputError(fmt::format("{}: expected a map of key: value", where));
  for (const auto& kv : n) {
    const auto key = kv.first.as<std::string>();
    out.emplace_back(key, scalar_text(kv.second, where + "." + key));
  }
  return out;
}

std::vector<BitWidth> bit_list(const YAML::Node& n, const std::string& where) {
  std::vector<BitWidth> out;
  if (!n.IsSequence()) throw InvalidInputError(fmt::format("{}: expected a list such as [3, 4, 5] or [\"4/8\"]", where));
  for (const auto& item : n) out.push_back(parse_bit_width(item.as<std::string>()));
  return out;
}

}  // namespace

std::string default_configs_dir() { return (fs::path(source_dir()) / "configs").string(); }

BitWidth parse_bit_width(const std::string& text) {
  auto to_int = [&](const std::string& s) {
    try {
      size_t used = 0;
      int v = std::stoi(s, &used);
      if (used == s.size()) return v;
    } catch (const std::exception&) {
    }
    throw InvalidInputError(fmt::format("bit-width '{}' is not a number: use 4 (W4A4) or 4/8 (W4A8)", text));
  };
  auto slash = text.find('/');
  if (slash == std::string::npos) {
    int b = to_int(text);
    return {b, b};
  }
  return {to_int(text.substr(0, slash)), to_int(text.substr(slash + 1))};
}

Suite load_suite(const std::string& name_or_path, const std::string& configs_dir) {
  std::string path = name_or_path;
  if (!fs::exists(path)) path = (fs::path(configs_dir) / (name_or_path + ".yaml")).string();
  if (!fs::exists(path)) {
    std::vector<std::string> names;
    if (fs::is_directory(configs_dir))
      for (const auto& e : fs::directory_iterator(configs_dir))
        if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
    std::sort(names.begin(), names.end());
    throw MissingFileError(fmt::format("no suite '{}' (looked for {}); suites: {}", name_or_path, path,
                                       fmt::join(names, ", ")));
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw InvalidInputError(fmt::format("{}: not valid YAML: {}", path, e.what()));
  }
  if (!root.IsMap()) throw InvalidInputError(fmt::format("{}: expected a map of suite settings", path));
  static const std::vector<std::string> known = {"name",  "description", "dataset", "model",      "data_root",
                                                 "zoo",   "needs",       "methods", "bits",       "extra_bits",
                                                 "seeds", "preset",      "set",     "method_set"};
  for (const auto& kv : root) {
    auto key = kv.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end())
      throw InvalidInputError(fmt::format("{}: unknown key '{}'; valid: {}", path, key, fmt::join(known, ", ")));
  }
  auto need = [&](const char* key) {
    if (!root[key]) throw InvalidInputError(fmt::format("{}: missing required key '{}'", path, key));
    return root[key];
  };
  Suite s;
  s.path = path;
  try {
    s.name = root["name"] ? root["name"].as<std::string>() : fs::path(path).stem().string();
    s.description = root["description"] ? root["description"].as<std::string>() : "";
    s.dataset = need("dataset").as<std::string>();
    s.model = need("model").as<std::string>();
    s.data_root = root["data_root"] ? scalar_text(root["data_root"], path + ": data_root") : "";
    s.zoo = root["zoo"] ? scalar_text(root["zoo"], path + ": zoo") : "";
    s.needs = root["needs"] ? root["needs"].as<std::string>() : "";
    s.methods = need("methods").as<std::vector<std::string>>();
    s.bits = bit_list(need("bits"), path + ": bits");
    if (root["extra_bits"])
      for (const auto& kv : root["extra_bits"])
        s.extra_bits[kv.first.as<std::string>()] = bit_list(kv.second, path + ": extra_bits");
    s.seeds = need("seeds").as<std::vector<int64_t>>();
    s.preset = root["preset"] ? scalar_text(root["preset"], path + ": preset") : "";
    s.set = assignments(root["set"], path + ": set");
    if (root["method_set"])
      for (const auto& kv : root["method_set"])
        s.method_set[kv.first.as<std::string>()] =
            assignments(kv.second, path + ": method_set." + kv.first.as<std::string>());
  } catch (const YAML::Exception& e) {
    throw InvalidInputError(fmt::format("{}: {}", path, e.what()));
  }
  if (s.methods.empty() || s.bits.empty() || s.seeds.empty())
    throw InvalidInputError(fmt::format("{}: methods, bits and seeds must each list at least one value", path));
  return s;
}

}  // namespace dfq
