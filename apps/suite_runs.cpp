#include "apps/suite_runs.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <memory>
#include <tuple>

#include "apps/cell.h"
#include "apps/sweep.h"
#include "core/config/suite.h"
#include "core/util/error.h"
#include "core/util/paths.h"

namespace dfq {
namespace {

namespace fs = std::filesystem;
using CellKey = std::tuple<std::string, std::string, std::string, int, int, int64_t>;

CellKey key_of(const RunKey& k) { return {k.method, k.model, k.dataset, k.w_bits, k.a_bits, k.seed}; }

std::string value_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

}  // namespace

RunMismatch suite_run_matcher(const std::string& label, const std::string& configs_dir) {
  const auto at = label.find('@');
  std::string name = label.substr(0, at);
  const std::string variant = at == std::string::npos ? "" : label.substr(at + 1);
  auto file_of = [&](const std::string& n) { return fs::path(configs_dir) / (n + ".yaml"); };
  SweepOptions o;
  const std::string smoke_suffix = "-smoke";
  if (!is_safe_component(name)) return {};
  if (!fs::exists(file_of(name)) && name.size() > smoke_suffix.size() &&
      name.compare(name.size() - smoke_suffix.size(), smoke_suffix.size(), smoke_suffix) == 0) {
    name.resize(name.size() - smoke_suffix.size());
    o.smoke = true;
  }
  if (!fs::exists(file_of(name))) return {};
  Suite suite = load_suite(file_of(name).string(), configs_dir);
  if (suite.name != name) return {};  // the file records its runs under another name
  if (!variant.empty()) {
    bool known = false;
    for (const auto& [v, settings] : suite.variants) known |= v == variant;
    if (!known) {
      const auto why = fmt::format("variant '{}' is no longer in {}", variant, file_of(name).string());
      return [why](const RunRecord&) { return why; };
    }
    o.variants = {variant};
  } else if (!suite.variants.empty()) {
    const auto why = fmt::format("{} has variants: its runs are recorded as {}@VARIANT", file_of(name).string(), name);
    return [why](const RunRecord&) { return why; };
  }
  auto expected = std::make_shared<std::map<CellKey, nlohmann::json>>();
  for (const auto& request : expand_suite(suite, o)) (*expected)[key_of(request.key)] = resolve_cell(request).config.json();
  const std::string path = file_of(name).string();
  return [expected, path](const RunRecord& r) -> std::string {
    auto it = expected->find(key_of(r.key));
    if (it == expected->end())
      return fmt::format("{} W{}A{} seed {} on {}/{} is not a cell of {}", r.key.method, r.key.w_bits, r.key.a_bits,
                         r.key.seed, r.key.dataset, r.key.model, path);
    nlohmann::json config;
    try {
      config = nlohmann::json::parse(r.config_json);
    } catch (const nlohmann::json::exception&) {
      return "its recorded configuration is not valid JSON";
    }
    for (const auto& [key, want] : it->second.items()) {
      if (!config.contains(key) || config[key] == want) continue;
      // Numbers compare by value (3 and 3.0 are one setting).
      if (config[key].is_number() && want.is_number() && config[key].get<double>() == want.get<double>()) continue;
      return fmt::format("{} = {} where {} gives {}", key, value_text(config[key]), path, value_text(want));
    }
    return "";
  };
}

}  // namespace dfq
