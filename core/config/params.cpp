#include "core/config/params.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (in format.h before fmt 11)

#include <cmath>
#include <sstream>

#include "core/util/error.h"
#include "core/util/sha256.h"
#include "core/util/unknown_key.h"

namespace dfq {
namespace {

std::string number_text(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

[[noreturn]] void bad_value(const ParamSpec& p, const std::string& got) {
  throw InvalidInputError(fmt::format("bad value for {}: expected {}, got {}", p.key, p.expected(), got));
}

double parse_number(const ParamSpec& p, const std::string& text) {
  // Decimal only: std::stod would also read hexadecimal ("0x10" as 16), "inf" and "nan".
  if (text.empty() || text.find_first_not_of("0123456789+-.eE") != std::string::npos) bad_value(p, "'" + text + "'");
  try {
    size_t used = 0;
    const double d = std::stod(text, &used);
    if (used == text.size() && std::isfinite(d)) return d;
  } catch (const std::exception&) {
  }
  bad_value(p, "'" + text + "'");
}

}  // namespace

bool Bounds::allows(double v) const {
  if (auto_value && v == *auto_value) return true;
  if (lo_open ? v <= lo : v < lo) return false;
  if (hi_open ? v >= hi : v > hi) return false;
  return true;
}

std::string Bounds::describe() const {
  std::string range;
  const bool has_lo = std::isfinite(lo), has_hi = std::isfinite(hi);
  if (has_lo && has_hi)
    range = fmt::format("in {}{}, {}{}", lo_open ? "(" : "[", number_text(lo), number_text(hi), hi_open ? ")" : "]");
  else if (has_lo)
    range = fmt::format("{} {}", lo_open ? ">" : ">=", number_text(lo));
  else if (has_hi)
    range = fmt::format("{} {}", hi_open ? "<" : "<=", number_text(hi));
  if (!auto_value) return range;
  return fmt::format("{} (auto){}", number_text(*auto_value), range.empty() ? "" : " or " + range);
}

std::string ParamSpec::type_name() const {
  switch (type) {
    case ParamType::Bool: return "bool";
    case ParamType::Int: return "int";
    case ParamType::Number: return "number";
    case ParamType::Text: return "text";
    case ParamType::Numbers: return "numbers";
  }
  return "?";
}

std::string ParamSpec::expected() const {
  const auto range = bounds.describe();
  switch (type) {
    case ParamType::Bool: return "true or false";
    case ParamType::Int: return range.empty() ? "an integer" : "an integer " + range;
    case ParamType::Number: return range.empty() ? "a number" : "a number " + range;
    case ParamType::Text:
      return choices.empty() ? "text" : fmt::format("one of {}", fmt::join(choices, ", "));
    case ParamType::Numbers:
      return range.empty() ? "numbers a,b,... (or empty: key=)"
                           : fmt::format("numbers {} a,b,... (or empty: key=)", range);
  }
  return "?";
}

nlohmann::json ParamSpec::parse(const std::string& text) const {
  switch (type) {
    case ParamType::Bool:
      if (text == "true" || text == "1" || text == "yes") return true;
      if (text == "false" || text == "0" || text == "no") return false;
      bad_value(*this, "'" + text + "'");
    case ParamType::Int: {
      const double d = parse_number(*this, text);
      if (d != std::floor(d) || std::fabs(d) > 9.0e15) bad_value(*this, "'" + text + "'");
      return check(static_cast<int64_t>(d));
    }
    case ParamType::Number: return check(parse_number(*this, text));
    case ParamType::Text: return check(text);
    case ParamType::Numbers: {
      nlohmann::json list = nlohmann::json::array();
      std::stringstream ss(text);
      std::string item;
      while (std::getline(ss, item, ',')) {
        if (item.empty())
          throw InvalidInputError(fmt::format("bad value for {}: empty item in '{}' (write a,b,c; or {}= for an empty "
                                              "list)",
                                              key, text, key));
        list.push_back(parse_number(*this, item));
      }
      if (!text.empty() && text.back() == ',')
        throw InvalidInputError(fmt::format("bad value for {}: '{}' ends with a comma", key, text));
      return check(list);
    }
  }
  bad_value(*this, "'" + text + "'");
}

nlohmann::json ParamSpec::check(const nlohmann::json& v) const {
  auto number = [&](const nlohmann::json& x) {
    if (!x.is_number() || !bounds.allows(x.get<double>())) bad_value(*this, x.dump());
    return x.get<double>();
  };
  switch (type) {
    case ParamType::Bool:
      if (!v.is_boolean()) bad_value(*this, v.dump());
      return v;
    case ParamType::Int:
      if (!v.is_number_integer()) bad_value(*this, v.dump());
      number(v);
      return v.get<int64_t>();
    case ParamType::Number: return number(v);
    case ParamType::Text:
      if (!v.is_string()) bad_value(*this, v.dump());
      if (!choices.empty() && std::find(choices.begin(), choices.end(), v.get<std::string>()) == choices.end())
        bad_value(*this, "'" + v.get<std::string>() + "'");
      return v;
    case ParamType::Numbers: {
      if (!v.is_array()) bad_value(*this, v.dump());
      nlohmann::json out = nlohmann::json::array();
      for (const auto& x : v) out.push_back(number(x));
      return out;
    }
  }
  bad_value(*this, v.dump());
}

Config::Config(Schema schema) : schema_(std::move(schema)) {
  for (const auto& p : schema_) {
    if (values_.contains(p.key)) throw Error(fmt::format("setting '{}' is declared twice", p.key));
    values_[p.key] = p.default_value;
  }
}

Config Config::from_json(Schema schema, const nlohmann::json& values) {
  Config c(std::move(schema));
  if (!values.is_object()) throw InvalidInputError("a configuration must be a JSON object of key: value");
  for (auto it = values.begin(); it != values.end(); ++it) c.set_json(it.key(), it.value());
  for (const auto& p : c.schema_)
    if (!values.contains(p.key)) throw InvalidInputError(fmt::format("the configuration lacks key '{}'", p.key));
  return c;
}

const ParamSpec& Config::spec(const std::string& key) const {
  for (const auto& p : schema_)
    if (p.key == key) return p;
  std::vector<std::string> keys;
  for (const auto& p : schema_) keys.push_back(p.key);
  throw InvalidInputError(unknown_key_message(key, keys));
}

void Config::set_assignment(const std::string& a) {
  const auto eq = a.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InvalidInputError(fmt::format("--set expects key=value, got '{}'", a));
  set(a.substr(0, eq), a.substr(eq + 1));
}

void Config::set(const std::string& key, const std::string& text) { values_[key] = spec(key).parse(text); }

void Config::set_json(const std::string& key, const nlohmann::json& value) { values_[key] = spec(key).check(value); }

const nlohmann::json& Config::value(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) spec(key);  // throws: unknown key
  return *it;
}

std::string Config::hash() const { return sha256_hex(values_.dump()).substr(0, 16); }

Schema join(std::initializer_list<Schema> parts) {
  Schema out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

}  // namespace dfq
