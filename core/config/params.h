// Settings declared once. A component (schedule, generator, quantizer, game, a method)
// declares each of its settings in a ParamBlock: key, C++ member, type, allowed values,
// one-line doc; the default is the member's value in the defaults the owner passes. That
// one declaration drives parsing (`--set key=value`, suite files, a resolved-config file),
// validation with one error format, `dfq list --config`, the configuration hash and what
// the store records. A Config holds the values of every key a method has (a flat JSON
// object, as the store records it); code outside a block never reads it by key.
#pragma once
#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace dfq {

enum class ParamType { Bool, Int, Number, Text, Numbers };

// Allowed values of a number (or of each element of a list): [lo, hi], either end open,
// plus an optional "auto" value outside that range that a resolve step replaces.
// Upper limits of sizes that would otherwise only fail deep inside a run (a 400 GB allocation,
// an ETA of millions of hours): far above any published schedule (400 epochs x 200
// iterations, batches of 16 to 256).
constexpr double kMaxBatch = 65536;
constexpr double kMaxEpochs = 100000;
constexpr double kMaxItersPerEpoch = 10000000;

struct Bounds {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false, hi_open = false;
  std::optional<double> auto_value;

  static Bounds any() { return {}; }
  static Bounds positive() { return {0, std::numeric_limits<double>::infinity(), true, false, {}}; }
  static Bounds at_least(double lo) { return {lo, std::numeric_limits<double>::infinity(), false, false, {}}; }
  static Bounds in(double lo, double hi) { return {lo, hi, false, false, {}}; }
  // (lo, hi]
  static Bounds above_up_to(double lo, double hi) { return {lo, hi, true, false, {}}; }
  Bounds or_auto(double value) const {
    Bounds b = *this;
    b.auto_value = value;
    return b;
  }
  bool allows(double v) const;
  std::string describe() const;  // "> 0", "in [0, 1]", "-1 (auto) or >= 0"
};

struct ParamSpec {
  std::string key;
  std::string block;  // the component that declares it
  ParamType type = ParamType::Number;
  nlohmann::json default_value;
  Bounds bounds;                     // Int, Number, Numbers
  std::vector<std::string> choices;  // Text; empty: any text
  std::string doc;

  std::string type_name() const;  // bool, int, number, text, numbers
  std::string expected() const;   // what a valid value looks like, for errors and `dfq list --config`
  // Parses `--set` text ("true", "3", "0.5", "ema", "100,200") to a checked value.
  nlohmann::json parse(const std::string& text) const;
  // Checks a JSON value (suite file, resolved-config file) and returns it with the
  // canonical JSON type (numbers as floating point, integers as integers).
  nlohmann::json check(const nlohmann::json& value) const;
};

using Schema = std::vector<ParamSpec>;

// The values of one schema: defaults, then assignments. Unknown keys and bad values throw
// InvalidInputError as `unknown key 'K' ...` or `bad value for K: expected ..., got ...`.
class Config {
 public:
  Config() = default;
  explicit Config(Schema schema);
  // A stored configuration (resolved-config file, the store): every key of the schema,
  // checked, and no other key.
  static Config from_json(Schema schema, const nlohmann::json& values);

  void set(const std::string& key, const std::string& text);
  void set_assignment(const std::string& key_equals_value);
  void set_json(const std::string& key, const nlohmann::json& value);
  bool has(const std::string& key) const { return values_.contains(key); }
  const ParamSpec& spec(const std::string& key) const;

  // For ParamBlock only: the checked value of a key.
  const nlohmann::json& value(const std::string& key) const;
  const Schema& schema() const { return schema_; }
  const nlohmann::json& json() const { return values_; }
  std::string dump() const { return values_.dump(); }
  // First 16 hex digits of the sha256 of the canonical (sorted-key) JSON.
  std::string hash() const;

 private:
  Schema schema_;
  nlohmann::json values_ = nlohmann::json::object();
};

Schema join(std::initializer_list<Schema> parts);

// A component's settings bound to the members of its struct S.
template <class S>
class ParamBlock {
 public:
  explicit ParamBlock(std::string name) : name_(std::move(name)) {}

  ParamBlock& flag(const char* key, bool S::*m, const char* doc) {
    return add(key, ParamType::Bool, {}, {}, doc, [m](const S& s) { return nlohmann::json(s.*m); },
               [m](S& s, const nlohmann::json& v) { s.*m = v.get<bool>(); });
  }
  ParamBlock& integer(const char* key, int64_t S::*m, Bounds b, const char* doc) {
    return add(key, ParamType::Int, b, {}, doc, [m](const S& s) { return nlohmann::json(s.*m); },
               [m](S& s, const nlohmann::json& v) { s.*m = v.get<int64_t>(); });
  }
  ParamBlock& number(const char* key, double S::*m, Bounds b, const char* doc) {
    return add(key, ParamType::Number, b, {}, doc, [m](const S& s) { return nlohmann::json(s.*m); },
               [m](S& s, const nlohmann::json& v) { s.*m = v.get<double>(); });
  }
  ParamBlock& text(const char* key, std::string S::*m, std::vector<std::string> choices, const char* doc) {
    return add(key, ParamType::Text, {}, std::move(choices), doc, [m](const S& s) { return nlohmann::json(s.*m); },
               [m](S& s, const nlohmann::json& v) { s.*m = v.get<std::string>(); });
  }
  // A named choice stored as an enum (or any comparable value).
  template <class E>
  ParamBlock& choice(const char* key, E S::*m, std::vector<std::pair<std::string, E>> names, const char* doc) {
    std::vector<std::string> choices;
    for (const auto& n : names) choices.push_back(n.first);
    return add(
        key, ParamType::Text, {}, choices, doc,
        [m, names](const S& s) {
          for (const auto& [text, value] : names)
            if (value == s.*m) return nlohmann::json(text);
          return nlohmann::json("?");
        },
        [m, names](S& s, const nlohmann::json& v) {
          for (const auto& [text, value] : names)
            if (text == v.get<std::string>()) s.*m = value;
        });
  }
  ParamBlock& numbers(const char* key, std::vector<double> S::*m, Bounds b, const char* doc) {
    return add(key, ParamType::Numbers, b, {}, doc, [m](const S& s) { return nlohmann::json(s.*m); },
               [m](S& s, const nlohmann::json& v) { s.*m = v.get<std::vector<double>>(); });
  }

  const std::string& name() const { return name_; }
  // The block's specs with `defaults` as their defaults, less the keys in `without`.
  Schema schema(const S& defaults, const std::vector<std::string>& without = {}) const {
    Schema out;
    for (const auto& f : fields_) {
      if (std::find(without.begin(), without.end(), f.spec.key) != without.end()) continue;
      ParamSpec p = f.spec;
      p.default_value = p.check(f.get(defaults));
      out.push_back(p);
    }
    return out;
  }
  // The block's values from a configuration; keys the configuration lacks keep `base`'s.
  S read(const Config& c, S base = S{}) const {
    for (const auto& f : fields_)
      if (c.has(f.spec.key)) f.put(base, c.value(f.spec.key));
    return base;
  }
  // Writes the block's values into a configuration (the resolve steps); keys the
  // configuration lacks are left out.
  void write(const S& s, Config& c) const {
    for (const auto& f : fields_)
      if (c.has(f.spec.key)) c.set_json(f.spec.key, f.get(s));
  }
  // The block's keys and values (cache keys, records).
  nlohmann::json to_json(const S& s) const {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& f : fields_) out[f.spec.key] = f.spec.check(f.get(s));
    return out;
  }

 private:
  struct Field {
    ParamSpec spec;
    std::function<nlohmann::json(const S&)> get;
    std::function<void(S&, const nlohmann::json&)> put;
  };
  ParamBlock& add(const char* key, ParamType type, Bounds b, std::vector<std::string> choices, const char* doc,
                  std::function<nlohmann::json(const S&)> get, std::function<void(S&, const nlohmann::json&)> put) {
    ParamSpec p;
    p.key = key;
    p.block = name_;
    p.type = type;
    p.bounds = b;
    p.choices = std::move(choices);
    p.doc = doc;
    fields_.push_back({p, std::move(get), std::move(put)});
    return *this;
  }
  std::string name_;
  std::vector<Field> fields_;
};

}  // namespace dfq
