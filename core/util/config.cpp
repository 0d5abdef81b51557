#include "core/util/config.h"

#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include "core/util/error.h"
#include "core/util/sha256.h"

namespace dfq {
namespace {

std::string valid_keys(const nlohmann::json& j) {
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  return fmt::format("{}", fmt::join(keys, ", "));
}

double parse_number(const std::string& key, const std::string& v) {
  try {
    size_t pos = 0;
    double d = std::stod(v, &pos);
    if (pos != v.size() || !std::isfinite(d)) throw std::invalid_argument(v);
    return d;
  } catch (const std::exception&) {
    throw InvalidInputError(fmt::format("config key '{}' needs a number, got '{}'", key, v));
  }
}

}  // namespace

Config::Config(nlohmann::json defaults) : values_(std::move(defaults)) {
  if (!values_.is_object()) throw InvalidInputError("config defaults must be an object");
}

void Config::merge_defaults(const nlohmann::json& defaults) {
  for (auto it = defaults.begin(); it != defaults.end(); ++it)
    if (!values_.contains(it.key())) values_[it.key()] = it.value();
}

const nlohmann::json& Config::at(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end())
    throw InvalidInputError(fmt::format("unknown config key '{}'; valid keys: {}", key, valid_keys(values_)));
  return *it;
}

void Config::set_assignment(const std::string& a) {
  auto eq = a.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InvalidInputError(fmt::format("--set expects key=value, got '{}'", a));
  set(a.substr(0, eq), a.substr(eq + 1));
}

void Config::set(const std::string& key, const std::string& v) {
  const auto& def = at(key);
  nlohmann::json parsed;
  if (def.is_boolean()) {
    if (v == "true" || v == "1" || v == "yes") parsed = true;
    else if (v == "false" || v == "0" || v == "no") parsed = false;
    else throw InvalidInputError(fmt::format("config key '{}' needs true or false, got '{}'", key, v));
  } else if (def.is_number_integer()) {
    double d = parse_number(key, v);
    if (d != std::floor(d))
      throw InvalidInputError(fmt::format("config key '{}' needs an integer, got '{}'", key, v));
    parsed = static_cast<int64_t>(d);
  } else if (def.is_number()) {
    parsed = parse_number(key, v);
  } else if (def.is_array()) {
    parsed = nlohmann::json::array();
    std::stringstream ss(v);
    std::string item;
    while (std::getline(ss, item, ','))
      if (!item.empty()) parsed.push_back(parse_number(key, item));
  } else {
    parsed = v;
  }
  values_[key] = parsed;
}

void Config::set_json(const std::string& key, const nlohmann::json& value) {
  const auto& def = at(key);
  bool ok = (def.is_boolean() && value.is_boolean()) || (def.is_number_integer() && value.is_number_integer()) ||
            (def.is_number_float() && value.is_number()) || (def.is_string() && value.is_string()) ||
            (def.is_array() && value.is_array());
  if (!ok)
    throw InvalidInputError(fmt::format("config key '{}' needs a value like {}, got {}", key, def.dump(), value.dump()));
  values_[key] = def.is_number_float() ? nlohmann::json(value.get<double>()) : value;
}

double Config::num(const std::string& key) const {
  const auto& v = at(key);
  if (!v.is_number()) throw InvalidInputError(fmt::format("config key '{}' is not a number", key));
  return v.get<double>();
}

int64_t Config::integer(const std::string& key) const {
  const auto& v = at(key);
  if (!v.is_number_integer()) throw InvalidInputError(fmt::format("config key '{}' is not an integer", key));
  return v.get<int64_t>();
}

bool Config::flag(const std::string& key) const {
  const auto& v = at(key);
  if (!v.is_boolean()) throw InvalidInputError(fmt::format("config key '{}' is not true/false", key));
  return v.get<bool>();
}

std::string Config::str(const std::string& key) const {
  const auto& v = at(key);
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::vector<double> Config::nums(const std::string& key) const {
  const auto& v = at(key);
  std::vector<double> out;
  if (v.is_array()) {
    for (const auto& e : v) out.push_back(e.get<double>());
  } else if (v.is_number()) {
    out.push_back(v.get<double>());
  }
  return out;
}

std::string Config::hash() const { return sha256_hex(values_.dump()).substr(0, 16); }

}  // namespace dfq
