#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "apps/runner.h"
#include "core/util/error.h"
#include "core/util/interrupt.h"
#include "core/util/progress.h"
#include "methods/registry.h"
#include "models/zoo.h"
#include "reports/report.h"
#include "tests/cells.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

using testing::tiny_request;

class MethodsTest : public ::testing::Test {
 protected:
  void SetUp() override { ProgressReporter::set_enabled(false); }
  testing::TempDir dir;
};

TEST_F(MethodsTest, RegistryNamesAreUniqueAndDescribed) {
  std::set<std::string> names;
  for (const auto& m : method_registry()) {
    EXPECT_TRUE(names.insert(m.name).second) << "duplicate " << m.name;
    EXPECT_FALSE(m.paper.empty()) << m.name;
    EXPECT_TRUE(m.run) << m.name;
    EXPECT_FALSE(m.bits.empty()) << m.name;
    EXPECT_TRUE(m.presets.count("tiny")) << m.name << " needs a tiny preset for this test";
    EXPECT_TRUE(m.presets.count("short")) << m.name << " needs a short preset for make compare";
  }
  EXPECT_THROW(find_method("nope"), InvalidInputError);
}

// Every registered method, present and future, runs a couple of iterations end to end.
TEST_F(MethodsTest, EveryMethodRunsATinySchedule) {
  RunStore store(dir.file("runs.sqlite"));
  for (const auto& m : method_registry()) {
    SCOPED_TRACE(m.name);
    auto r = run_cell(store, tiny_request(m.name));
    EXPECT_EQ(r.status, "done");
    EXPECT_EQ(store.get_run(r.run_id)->status, "done");
    ASSERT_TRUE(r.metrics.count("top1"));
    EXPECT_GT(r.metrics.at("top1"), 10.0);  // better than chance: the student starts from the teacher
    EXPECT_LE(r.metrics.at("top1"), 100.0);
    EXPECT_FALSE(store.curves(r.run_id).empty());
    EXPECT_NEAR(store.metrics(r.run_id).at("fp_top1"), r.metrics.at("fp_top1"), 1e-9);
    // Deployment figures: 4-bit weights take well under a quarter of their fp32 bytes.
    ASSERT_TRUE(r.metrics.count("weight_bytes_packed"));
    EXPECT_LT(r.metrics.at("weight_bytes_packed"), r.metrics.at("weight_bytes_fp32") / 4);
    EXPECT_GT(r.metrics.at("packed_file_bytes"), r.metrics.at("weight_bytes_packed"));  // + names, BN buffers
    EXPECT_GE(r.metrics.at("latency_ms_p95_fakequant_b64"), r.metrics.at("latency_ms_p50_fakequant_b64"));
    EXPECT_GT(r.metrics.at("peak_rss_bytes"), 0);
    // Ranges are calibrated on training-side forwards only, never on evaluation images:
    // the tiny presets calibrate during their one epoch of 2 iterations (or 2 batches).
    if (r.metrics.count("calib_updates")) {
      EXPECT_GE(r.metrics.at("calib_updates"), 2.0);
      EXPECT_LE(r.metrics.at("calib_updates"), 4.0);
    }
    // Compute (#13 §4): the images the loop computed on, per epoch and in all; for the
    // generator methods one batch per iteration, warm-up included.
    ASSERT_TRUE(r.metrics.count("train_images"));
    EXPECT_GT(r.metrics.at("train_images"), 0);
    double last_images = -1, last_wall = -1;
    for (const auto& p : store.curves(r.run_id)) {
      if (p.key == "images_seen") {
        EXPECT_GT(p.value, last_images);
        last_images = p.value;
      }
      if (p.key == "wall_seconds") {
        EXPECT_GE(p.value, last_wall);
        last_wall = p.value;
      }
    }
    EXPECT_DOUBLE_EQ(last_images, r.metrics.at("train_images"));
    EXPECT_LE(last_wall, r.metrics.at("train_seconds"));
    EXPECT_GT(last_wall, 0);
    if (m.name == "gdfq" || m.name == "adasg" || m.name == "qimera") {
      const auto c = nlohmann::json::parse(r.config_json);
      EXPECT_DOUBLE_EQ(r.metrics.at("train_images"),
                       c["epochs"].get<double>() * c["iters_per_epoch"].get<double>() * c["batch_size"].get<double>());
    }
  }
}

TEST_F(MethodsTest, SameSeedSameNumbers) {
  RunStore store(dir.file("runs.sqlite"));
  auto a = run_cell(store, tiny_request("gdfq", 5));
  auto b = run_cell(store, tiny_request("gdfq", 5));
  auto c = run_cell(store, tiny_request("gdfq", 6));
  auto ca = store.curves(a.run_id), cb = store.curves(b.run_id), cc = store.curves(c.run_id);
  ASSERT_EQ(ca.size(), cb.size());
  bool differs = false;
  for (size_t i = 0; i < ca.size(); ++i) {
    if (ca[i].key.find("seconds") != std::string::npos) continue;
    EXPECT_EQ(ca[i].value, cb[i].value) << ca[i].key;  // bit-identical
    if (ca[i].key == "g_loss" && ca[i].value != cc[i].value) differs = true;
  }
  EXPECT_EQ(a.metrics.at("top1"), b.metrics.at("top1"));
  EXPECT_TRUE(differs) << "another seed should draw other samples";
}

// Synthesised images are cached per (teacher, method, seed, synthesis keys): a second run,
// and a run at other bit-widths, reuse them, and a cache hit gives the very same run.
TEST_F(MethodsTest, CachedSynthesisIsReusedAndChangesNothing) {
  RunStore store(dir.file("runs.sqlite"));
  for (std::string m : {"zeroq", "intraq"}) {
    SCOPED_TRACE(m);
    auto r = tiny_request(m, 3);
    r.cache_dir = dir.file("cache");
    auto a = run_cell(store, r);
    auto b = run_cell(store, r);
    EXPECT_EQ(a.metrics.at("synthesis_cached"), 0.0);
    EXPECT_EQ(b.metrics.at("synthesis_cached"), 1.0);
    EXPECT_EQ(a.metrics.at("top1"), b.metrics.at("top1"));
    EXPECT_EQ(a.metrics.at("top1_val"), b.metrics.at("top1_val"));
    r.key.w_bits = r.key.a_bits = 8;
    EXPECT_EQ(run_cell(store, r).metrics.at("synthesis_cached"), 1.0);
    r.overrides.push_back(m == "zeroq" ? "distill_iters=3" : "synth_iters=3");  // another synthesis
    EXPECT_EQ(run_cell(store, r).metrics.at("synthesis_cached"), 0.0);
  }
  // ZeroQ's two protocols are recorded as such.
  auto r = tiny_request("zeroq");
  EXPECT_EQ(run_cell(store, r).metrics.at("finetuned"), 0.0);
  r.overrides.push_back("finetune=true");
  auto f = run_cell(store, r);
  EXPECT_EQ(f.metrics.at("finetuned"), 1.0);
  EXPECT_FALSE(store.curves(f.run_id).empty());
}

TEST_F(MethodsTest, BadInputFailsBeforeAnyRunIsRecorded) {
  RunStore store(dir.file("runs.sqlite"));
  auto expect_error = [&](CellRequest r, const std::string& needle) {
    try {
      run_cell(store, r);
      ADD_FAILURE() << "expected an error mentioning " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  auto r = tiny_request("gdfq");
  r.key.method = "adasgg";
  expect_error(r, "valid: noise");
  r = tiny_request("gdfq");
  r.key.model = "vgg";
  expect_error(r, "resnet20");
  r = tiny_request("gdfq");
  r.key.w_bits = 9;
  expect_error(r, "2..8");
  r = tiny_request("gdfq");
  r.key.a_bits = 1;
  expect_error(r, "2..8");
  r = tiny_request("gdfq");
  r.overrides.push_back("batch_size=0");
  expect_error(r, "bad value for batch_size: expected an integer in [1, 65536], got 0");
  // #17 item 14: sizes that would only fail deep in a run (a 400 GB batch, a 10^12-epoch ETA).
  r = tiny_request("gdfq");
  r.overrides.push_back("batch_size=1e9");
  expect_error(r, "bad value for batch_size: expected an integer in [1, 65536], got 1000000000");
  r = tiny_request("gdfq");
  r.overrides.push_back("epochs=1e12");
  expect_error(r, "bad value for epochs: expected an integer in [1, 100000], got 1000000000000");
  r = tiny_request("gdfq");
  r.overrides.push_back("no_such_key=1");
  expect_error(r, "unknown key 'no_such_key'; valid keys: adam_beta1");
  r = tiny_request("gdfq");
  r.overrides.push_back("lr_q=fast");
  expect_error(r, "bad value for lr_q: expected a number > 0, got 'fast'");
  r = tiny_request("gdfq");
  r.overrides.push_back("range_tracker=official");
  expect_error(r, "range_tracker=ema");
  r = tiny_request("qimera");
  r.overrides.push_back("embedding_init=classifier");
  expect_error(r, "bad value for embedding_init: expected one of random, teacher, got 'classifier'");
  r = tiny_request("intraq");
  r.overrides.push_back("mdc_lower=0.9");
  expect_error(r, "mdc_lower");
  r = tiny_request("gdfq");
  r.zoo = dir.path() + "/empty-zoo";
  expect_error(r, "dfq teacher --model lenet5 --dataset fashion-mnist");
  EXPECT_TRUE(store.list_runs().empty());
}

TEST_F(MethodsTest, TeacherForAnotherDataSetIsRefused) {
  // A LeNet teacher filed under fashion-mnist that says it was trained on 3x32x32 data.
  auto net = make_model({"lenet5", 3, 10, 32});
  TeacherManifest m;
  m.dataset = "fashion-mnist";
  m.model = "lenet5";
  m.in_channels = 3;
  m.image_size = 32;
  save_teacher(net, m, dir.path() + "/zoo");
  RunStore store(dir.file("runs.sqlite"));
  auto r = tiny_request("noise");
  r.zoo = dir.path() + "/zoo";
  EXPECT_THROW(run_cell(store, r), InvalidInputError);
  EXPECT_TRUE(store.list_runs().empty());
}

// #17 item 16: weights replaced and the manifest rewritten to match them (the sha256 agrees)
// loaded silently before, and reports printed the manifest's accuracy. Now the teacher is
// re-evaluated on 500 test images and a large mismatch refuses the run before it starts.
TEST_F(MethodsTest, TeacherWhoseAccuracyIsNotItsManifestsIsRefused) {
  auto net = make_model({"lenet5", 1, 10, 28});  // untrained: about 10 % top-1
  TeacherManifest m;
  m.dataset = "fashion-mnist";
  m.model = "lenet5";
  m.in_channels = 1;
  m.image_size = 28;
  m.num_classes = 10;
  m.test_top1 = 90.0;
  save_teacher(net, m, dir.path() + "/zoo");
  RunStore store(dir.file("runs.sqlite"));
  auto r = tiny_request("noise");
  r.zoo = dir.path() + "/zoo";
  try {
    run_cell(store, r);
    FAIL() << "a teacher far from its manifest's accuracy was accepted";
  } catch (const CorruptFileError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("on 500 test images, but its manifest says 90.00%"), std::string::npos) << what;
    EXPECT_NE(what.find("dfq teacher --model lenet5 --dataset fashion-mnist"), std::string::npos) << what;
  }
  EXPECT_TRUE(store.list_runs().empty());
}

TEST_F(MethodsTest, DivergenceAfterAnEvaluationKeepsTheLastEvaluatedStudentAndIsMarked) {
  // Epoch 1 is generator warm-up (the student does not step) and ends with an evaluation;
  // epoch 2's first student step at lr 1e30 blows the weights up, so a loss goes non-finite.
  // Ranges still calibrate in epoch 2, so the blown-up activations reach them too.
  RunStore store(dir.file("runs.sqlite"));
  auto r = tiny_request("gdfq");
  for (const char* o : {"epochs=2", "warmup_epochs=1", "calib_epochs=2", "iters_per_epoch=4", "lr_q=1e30"})
    r.overrides.push_back(o);
  auto res = run_cell(store, r);
  EXPECT_EQ(res.status, "done");
  ASSERT_TRUE(res.metrics.count("diverged_at_epoch"));
  EXPECT_EQ(res.metrics.at("diverged_at_epoch"), 2.0);
  EXPECT_GE(res.metrics.at("diverged_at_iter"), 1.0);
  double epoch1_top1 = -1;
  for (const auto& c : store.curves(res.run_id)) {
    EXPECT_EQ(c.step, 1) << "no curve for the diverged epoch: " << c.key;
    if (c.key == "test_top1") epoch1_top1 = c.value;
  }
  EXPECT_EQ(res.metrics.at("top1"), epoch1_top1);  // the figures are the last evaluated epoch's
  EXPECT_GT(res.metrics.at("top1"), 10.0);
  // Deployment figures are measured on the kept student (weights and ranges), not the blown-up one.
  ASSERT_TRUE(res.metrics.count("int8_top1"));
  EXPECT_GT(res.metrics.at("int8_top1"), 10.0);
  ReportOptions o;
  o.suite = r.key.suite;
  auto rep = build_report(store, o, {});
  ASSERT_EQ(rep.groups.size(), 1u);
  EXPECT_EQ(rep.groups[0].rows[0].cells[0].diverged, 1);
  EXPECT_NE(render_markdown(rep).find("1 diverged‡"), std::string::npos);
}

TEST_F(MethodsTest, NonFiniteLossBeforeAnyEvaluationFailsTheRunAndTouchesNothingElse) {
  RunStore store(dir.file("runs.sqlite"));
  auto ok = run_cell(store, tiny_request("noise"));
  auto before = store.metrics(ok.run_id);
  auto r = tiny_request("gdfq");
  r.overrides.push_back("lr_q=1e30");  // the first Q step blows the weights up
  r.overrides.push_back("iters_per_epoch=4");
  try {
    run_cell(store, r);
    FAIL() << "expected NumericalError";
  } catch (const NumericalError& e) {
    EXPECT_NE(std::string(e.what()).find("epoch 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("q/"), std::string::npos) << e.what();
  }
  auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].status, "failed");
  EXPECT_TRUE(store.metrics(runs[0].id).empty());
  EXPECT_EQ(store.get_run(ok.run_id)->status, "done");
  EXPECT_EQ(store.metrics(ok.run_id), before);
}

TEST_F(MethodsTest, StopRequestLeavesTheRunInterrupted) {
  RunStore store(dir.file("runs.sqlite"));
  request_stop();
  EXPECT_THROW(run_cell(store, tiny_request("gdfq")), InterruptedError);
  clear_stop();
  auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "interrupted");
}

}  // namespace
}  // namespace dfq
