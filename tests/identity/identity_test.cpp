// Bit-identity record: the final metrics and per-epoch curves of one `tiny` cell per method
// and of every cell of the `ci` suite (the accuracy gate's cells), at one thread, compared
// exactly with tests/identity/golden.json. Refactoring must not move a single bit; a
// change that means to move numbers re-records the file (and says so in its commit).
//
// Floating-point results depend on the CPU's instruction set, so the record is kept per
// machine signature (CPU model, vector extensions, LibTorch version). On a machine with no
// record the tests skip, saying how to record one:
//   DFQ_IDENTITY_RECORD=1 build/dfq_tests --gtest_filter='Identity*'
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "apps/runner.h"
#include "apps/sweep.h"
#include "core/util/env.h"
#include "core/util/progress.h"
#include "core/util/rng.h"
#include "core/config/suite.h"
#include "methods/registry.h"
#include "tests/cells.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

const std::string kGolden = std::string(DFQ_SOURCE_DIR) + "/tests/identity/golden.json";

// CPU model, its family and model numbers (virtual machines often name only "AMD EPYC" for
// several processor generations) and the vector extensions that change floating-point results.
std::string machine_signature() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model, flags, family, number;
  auto value = [&] { return line.substr(line.find(':') + 2); };
  while (std::getline(in, line)) {
    if (model.empty() && line.rfind("model name", 0) == 0) model = value();
    if (family.empty() && line.rfind("cpu family", 0) == 0) family = value();
    if (number.empty() && line.rfind("model\t", 0) == 0) number = value();
    if (flags.empty() && line.rfind("flags", 0) == 0) flags = " " + value() + " ";
  }
  if (!family.empty()) model += " (family " + family + " model " + number + ")";
  std::string ext;
  for (const char* f : {"avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile"})
    if (flags.find(std::string(" ") + f + " ") != std::string::npos) ext += std::string(ext.empty() ? "" : ",") + f;
  return model + " [" + ext + "] torch " + capture_environment().torch_version;
}

// What a run computed, less what depends on the clock or the allocator.
bool timing(const std::string& key) {
  for (const char* part : {"seconds", "latency", "rss"})
    if (key.find(part) != std::string::npos) return true;
  return false;
}

nlohmann::json record(RunStore& store, const CellResult& r) {
  nlohmann::json out;
  out["config"] = r.config_json;
  for (const auto& [k, v] : r.metrics)
    if (!timing(k)) out["metrics"][k] = v;
  for (const auto& p : store.curves(r.run_id))
    if (!timing(p.key)) out["curves"][p.key].push_back(p.value);
  return out;
}


class Identity : public ::testing::Test {
 protected:
  void SetUp() override {
    ProgressReporter::set_enabled(false);
    configure_threads(1);
    signature_ = machine_signature();
    std::ifstream in(kGolden);
    if (in) golden_ = nlohmann::json::parse(in);
    recording_ = std::getenv("DFQ_IDENTITY_RECORD") != nullptr;
    if (!recording_ && !golden_.contains(signature_))
      GTEST_SKIP() << "no bit-identity record for this machine (" << signature_
                   << "); record one with DFQ_IDENTITY_RECORD=1 build/dfq_tests --gtest_filter='Identity*'";
  }

  // Compares (or records) one cell's result under `group`/`name`.
  void check(const std::string& group, const std::string& name, RunStore& store, const CellResult& r) {
    auto got = record(store, r);
    if (recording_) {
      golden_[signature_][group][name] = got;
      return;
    }
    const auto& want = golden_[signature_][group];
    ASSERT_TRUE(want.contains(name)) << group << "/" << name << " is not in " << kGolden;
    EXPECT_EQ(got["config"], want[name]["config"]) << name << ": resolved configuration changed";
    for (const char* part : {"metrics", "curves"}) {
      const auto& w = want[name][part];
      const auto& g = got[part];
      EXPECT_EQ(g.size(), w.size()) << name << ": the set of " << part << " changed";
      for (auto it = w.begin(); it != w.end(); ++it)
        EXPECT_EQ(g.value(it.key(), nlohmann::json()), it.value()) << name << ": " << part << " " << it.key();
    }
  }

  void TearDown() override {
    if (!recording_ || IsSkipped()) return;
    std::ofstream(kGolden) << golden_.dump(1) << "\n";
  }

  testing::TempDir dir_;
  nlohmann::json golden_ = nlohmann::json::object();
  std::string signature_;
  bool recording_ = false;
};

TEST_F(Identity, TinyCellOfEveryMethod) {
  RunStore store(dir_.file("runs.sqlite"));
  for (const auto& m : method_registry()) {
    SCOPED_TRACE(m.name);
    check("tiny", m.name, store, run_cell(store, testing::tiny_request(m.name, 0, "identity")));
  }
}

TEST_F(Identity, CiSuiteGateCells) {
  RunStore store(dir_.file("runs.sqlite"));
  SweepOptions o;
  o.suite = "ci";
  for (const auto& cell : expand_suite(load_suite("ci", default_configs_dir()), o)) {
    SCOPED_TRACE(cell_name(cell.key));
    check("ci", cell_name(cell.key), store, run_cell(store, cell));
  }
}

}  // namespace
}  // namespace dfq
