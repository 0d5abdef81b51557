#include "core/config/suite.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (in format.h before fmt 11)
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/util/device.h"
#include "core/util/env.h"
#include "core/util/error.h"
#include "core/util/paths.h"
#include "core/util/unknown_key.h"

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
    for (const auto& [k, v] : out)
      if (k == key) throw InvalidInputError(fmt::format("{}: key '{}' appears twice", where, key));
    out.emplace_back(key, scalar_text(kv.second, where + "." + key));
  }
  return out;
}

BitWidth bit_width_at(const std::string& text, const std::string& where) {
  try {
    return parse_bit_width(text);
  } catch (const InvalidInputError& e) {
    throw InvalidInputError(fmt::format("{}: {}", where, e.what()));
  }
}

std::vector<BitWidth> bit_list(const YAML::Node& n, const std::string& where) {
  std::vector<BitWidth> out;
  if (!n.IsSequence()) throw InvalidInputError(fmt::format("{}: expected a list such as [3, 4, 5] or [\"4/8\"]", where));
  for (const auto& item : n) out.push_back(bit_width_at(item.as<std::string>(), where));
  return out;
}

}  // namespace

const std::vector<SuiteKey>& suite_keys() {
  using Read = std::function<void(Suite&, const YAML::Node&, const std::string&)>;
  auto text = [](std::string Suite::*m) -> Read {
    return [m](Suite& s, const YAML::Node& n, const std::string& where) { s.*m = scalar_text(n, where); };
  };
  auto name = [](std::string Suite::*m) -> Read {  // one non-empty word
    return [m](Suite& s, const YAML::Node& n, const std::string& where) {
      if (!n.IsScalar() || n.as<std::string>().empty())
        throw InvalidInputError(fmt::format("{}: expected a non-empty name", where));
      s.*m = n.as<std::string>();
    };
  };
  static const std::vector<SuiteKey> keys = {
      {"name", false, "the suite's name, recorded with every run (default: the file's name)", name(&Suite::name)},
      {"description", false, "one line shown in reports", text(&Suite::description)},
      {"dataset", true, "the data set (dfq data lists them)", name(&Suite::dataset)},
      {"model", true, "the teacher architecture", name(&Suite::model)},
      {"data_root", false, "where the data set is (default: its usual place)", text(&Suite::data_root)},
      {"zoo", false, "the teacher zoo folder (default: models/zoo)", text(&Suite::zoo)},
      {"device", false, "where the cells compute: cpu (default), cuda, cuda:N or auto; --device overrides",
       [](Suite& s, const YAML::Node& n, const std::string& where) {
         if (!n.IsScalar()) throw InvalidInputError(fmt::format("{}: expected cpu, cuda, cuda:N or auto", where));
         s.device = n.as<std::string>();
         try {
           check_device_name(s.device);
         } catch (const InvalidInputError& e) {
           throw InvalidInputError(fmt::format("{}: {}", where, e.what()));
         }
       }},
      {"needs", false, "what the user must provide, shown when it is missing", text(&Suite::needs)},
      {"methods", true, "list of methods (dfq list)",
       [](Suite& s, const YAML::Node& n, const std::string&) { s.methods = n.as<std::vector<std::string>>(); }},
      {"bits", true, "list of bit-widths: 4 (W4A4) or \"4/8\" (W4A8)",
       [](Suite& s, const YAML::Node& n, const std::string& where) { s.bits = bit_list(n, where); }},
      {"extra_bits", false, "per method, bit-widths added to bits",
       [](Suite& s, const YAML::Node& n, const std::string& where) {
         for (const auto& kv : n) s.extra_bits[kv.first.as<std::string>()] = bit_list(kv.second, where);
       }},
      {"seeds", true, "list of seeds",
       [](Suite& s, const YAML::Node& n, const std::string&) { s.seeds = n.as<std::vector<int64_t>>(); }},
      {"bit_seeds", false, "per bit-width, the seeds that replace seeds for it: {5: [0, 1, 2]}",
       [](Suite& s, const YAML::Node& n, const std::string& where) {
         if (!n.IsMap() || n.size() == 0)
           throw InvalidInputError(fmt::format("{}: expected a map of bit-width: [seeds], such as {{5: [0, 1, 2]}}", where));
         for (const auto& kv : n) {
           const BitWidth b = bit_width_at(kv.first.as<std::string>(), where);
           if (!kv.second.IsSequence() || kv.second.size() == 0)
             throw InvalidInputError(fmt::format("{}.{}: expected a non-empty list of seeds", where,
                                                 kv.first.as<std::string>()));
           s.bit_seeds.emplace_back(b, kv.second.as<std::vector<int64_t>>());
         }
       }},
      {"preset", false, "a method preset applied first (tiny, short)", text(&Suite::preset)},
      {"set", false, "settings for every method that has them (dfq list --config)",
       [](Suite& s, const YAML::Node& n, const std::string& where) { s.set = assignments(n, where); }},
      {"method_set", false, "per method, settings applied after set",
       [](Suite& s, const YAML::Node& n, const std::string& where) {
         for (const auto& kv : n)
           s.method_set[kv.first.as<std::string>()] = assignments(kv.second, where + "." + kv.first.as<std::string>());
       }},
      {"variants", false,
       "named copies of the grid, each with its own settings (applied after method_set), recorded as suite "
       "NAME@VARIANT; for studies such as the schedule study",
       [](Suite& s, const YAML::Node& n, const std::string& where) {
         if (!n.IsMap() || n.size() == 0)
           throw InvalidInputError(fmt::format("{}: expected a map of variant name: {{key: value, ...}}", where));
         std::set<std::string> seen;
         for (const auto& kv : n) {
           const auto name = kv.first.as<std::string>();
           if (!is_safe_component(name))
             throw InvalidInputError(fmt::format("{}: variant name '{}' is not valid: use letters, digits, '.', '_' "
                                                 "and '-'",
                                                 where, name));
           if (!seen.insert(name).second)
             throw InvalidInputError(fmt::format("{}: variant '{}' appears twice", where, name));
           if (!kv.second.IsMap() || kv.second.size() == 0)
             throw InvalidInputError(fmt::format("{}.{}: expected a map of key: value (at least one setting)", where,
                                                 name));
           s.variants.emplace_back(name, assignments(kv.second, where + "." + name));
         }
       }},
  };
  return keys;
}

std::string suite_keys_help() {
  std::string out = "Suite file keys (configs/NAME.yaml):\n";
  for (const auto& k : suite_keys()) out += fmt::format("  {:<12} {}{}\n", k.key, k.required ? "(required) " : "", k.doc);
  return out;
}

const std::vector<int64_t>& Suite::seeds_for(const BitWidth& b) const {
  for (const auto& [bits, list] : bit_seeds)
    if (bits == b) return list;
  return seeds;
}

std::string variant_suite_name(const std::string& suite, const std::string& variant) {
  return variant.empty() ? suite : suite + "@" + variant;
}

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
  // A name is a name (configs/NAME.yaml), whatever is in the current folder; a path is
  // given as one: it has a '/' or ends in .yaml.
  const bool is_path = name_or_path.find('/') != std::string::npos ||
                       (name_or_path.size() > 5 && name_or_path.compare(name_or_path.size() - 5, 5, ".yaml") == 0);
  if (!is_path && !is_safe_component(name_or_path))
    throw InvalidInputError(fmt::format("suite name '{}' is not valid: use letters, digits, '.', '_' and '-' (or give "
                                        "a path to a .yaml file)",
                                        name_or_path));
  const std::string path = is_path ? name_or_path : (fs::path(configs_dir) / (name_or_path + ".yaml")).string();
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
  Suite s;
  s.path = path;
  s.name = fs::path(path).stem().string();
  std::set<std::string> seen_keys;
  for (const auto& kv : root) {
    const auto key = kv.first.as<std::string>();
    // yaml-cpp keeps a repeated key and reads only one of them: refuse it.
    if (!seen_keys.insert(key).second)
      throw InvalidInputError(fmt::format("{}: key '{}' appears twice", path, key));
    const auto& keys = suite_keys();
    if (std::none_of(keys.begin(), keys.end(), [&](const SuiteKey& k) { return key == k.key; })) {
      std::vector<std::string> names;
      for (const auto& k : keys) names.push_back(k.key);
      throw InvalidInputError(fmt::format("{}: {}", path, unknown_key_message(key, names)));
    }
  }
  try {
    for (const auto& k : suite_keys()) {
      if (root[k.key]) {
        k.read(s, root[k.key], fmt::format("{}: {}", path, k.key));
      } else if (k.required) {
        throw InvalidInputError(fmt::format("{}: missing required key '{}' ({})", path, k.key, k.doc));
      }
    }
  } catch (const YAML::Exception& e) {
    throw InvalidInputError(fmt::format("{}: {}", path, e.what()));
  }
  if (s.methods.empty() || s.bits.empty() || s.seeds.empty())
    throw InvalidInputError(fmt::format("{}: methods, bits and seeds must each list at least one value", path));
  // A value listed twice would run its cells twice.
  auto once = [&](const char* what, const std::vector<std::string>& items) {
    std::set<std::string> seen;
    for (const auto& v : items)
      if (!seen.insert(v).second) throw InvalidInputError(fmt::format("{}: {} lists {} twice", path, what, v));
  };
  once("methods", s.methods);
  auto bit_name = [](const BitWidth& b) { return fmt::format("W{}A{}", b.w, b.a); };
  auto seed_texts = [](const std::vector<int64_t>& list) {
    std::vector<std::string> out;
    for (const auto& v : list) out.push_back(std::to_string(v));
    return out;
  };
  std::vector<std::string> bits, seeded_bits;
  for (const auto& b : s.bits) bits.push_back(bit_name(b));
  once("bits", bits);
  once("seeds", seed_texts(s.seeds));
  // bit_seeds: each bit-width once, one the suite runs, each seed once.
  for (const auto& [b, list] : s.bit_seeds) {
    seeded_bits.push_back(bit_name(b));
    bool listed = std::find(s.bits.begin(), s.bits.end(), b) != s.bits.end();
    for (const auto& [m, extra] : s.extra_bits) listed = listed || std::find(extra.begin(), extra.end(), b) != extra.end();
    if (!listed)
      throw InvalidInputError(
          fmt::format("{}: bit_seeds names {}, which is not in bits or extra_bits", path, seeded_bits.back()));
    once(("bit_seeds." + seeded_bits.back()).c_str(), seed_texts(list));
  }
  once("bit_seeds", seeded_bits);
  // The name labels runs and names the folders of logs and reports.
  if (!is_safe_component(s.name))
    throw InvalidInputError(fmt::format("{}: suite name '{}' is not valid: use letters, digits, '.', '_' and '-' (it "
                                        "names folders)",
                                        path, s.name));
  return s;
}

}  // namespace dfq
