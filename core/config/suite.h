// A suite file (configs/<name>.yaml): which cells to run (methods x bit-widths x seeds on
// one teacher and data set) and the one schedule they share. Parsing only; apps/ check the
// names against the registry and expand the grid.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace dfq {

struct BitWidth {
  int w = 4, a = 4;
  bool operator==(const BitWidth& o) const { return w == o.w && a == o.a; }
};

struct Suite {
  std::string name, description, path;
  std::string dataset, model;
  std::string data_root;  // empty: the data set's default location
  std::string zoo;        // empty: models/zoo
  std::string device = "cpu";  // cpu | cuda | cuda:N | auto (the global --device wins)
  std::string needs;      // what the user must provide (paper suites), shown when it is missing
  std::vector<std::string> methods;
  std::vector<BitWidth> bits;
  std::map<std::string, std::vector<BitWidth>> extra_bits;  // per method, added to `bits`
  std::vector<int64_t> seeds;
  // Per bit-width, the seeds that replace `seeds` for it (a table with fewer seeds at W5A5).
  std::vector<std::pair<BitWidth, std::vector<int64_t>>> bit_seeds;
  const std::vector<int64_t>& seeds_for(const BitWidth& b) const;
  std::string preset;  // a method preset applied before `set` (e.g. "short")
  // key -> value for every method that has the key (values as `--set` would take them).
  std::vector<std::pair<std::string, std::string>> set;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> method_set;
  // Named settings that each make a copy of the whole grid (a study: one schedule per
  // variant), applied after `method_set`; runs are recorded as suite "<name>@<variant>".
  // Empty: the suite is its one grid, recorded as "<name>".
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> variants;
};

// "<suite>@<variant>", or the suite's name when `variant` is empty.
std::string variant_suite_name(const std::string& suite, const std::string& variant);

// Every key a suite file may have, declared once: name, whether required, meaning, and
// how it is read (validation, `dfq sweep --help`).
struct SuiteKey {
  const char* key;
  bool required;
  const char* doc;
  std::function<void(Suite&, const YAML::Node&, const std::string& where)> read;
};
const std::vector<SuiteKey>& suite_keys();
std::string suite_keys_help();

// Reads a suite from a file, or by name from `configs_dir`/<name>.yaml. Throws
// InvalidInputError / MissingFileError naming the file, the key and what is expected.
Suite load_suite(const std::string& name_or_path, const std::string& configs_dir);
std::string default_configs_dir();
// "3" -> W3A3, "4/8" -> W4A8.
BitWidth parse_bit_width(const std::string& text);

}  // namespace dfq
