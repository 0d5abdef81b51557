// A method's configuration: typed keys with defaults, overridden by `key=value` strings
// (from --set or a suite file). Unknown keys and values of the wrong type are errors
// that list what is valid, raised before any work starts.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace dfq {

class Config {
 public:
  Config() : values_(nlohmann::json::object()) {}
  explicit Config(nlohmann::json defaults);

  // Parses `value` to the type of the key's default (bool, integer, number, string,
  // or list of numbers written "a,b,c"). Throws InvalidInputError naming the key.
  void set(const std::string& key, const std::string& value);
  // "key=value"
  void set_assignment(const std::string& assignment);
  void set_json(const std::string& key, const nlohmann::json& value);
  bool has(const std::string& key) const { return values_.contains(key); }
  // Adds keys (defaults of a shared component) without overriding existing ones.
  void merge_defaults(const nlohmann::json& defaults);

  double num(const std::string& key) const;
  int64_t integer(const std::string& key) const;
  bool flag(const std::string& key) const;
  std::string str(const std::string& key) const;
  std::vector<double> nums(const std::string& key) const;

  const nlohmann::json& json() const { return values_; }
  std::string dump() const { return values_.dump(); }
  // First 16 hex digits of the sha256 of the canonical (sorted-key) JSON.
  std::string hash() const;

 private:
  const nlohmann::json& at(const std::string& key) const;
  nlohmann::json values_;
};

}  // namespace dfq
