// dfq show / dfq diff / dfq runs --format (#16 §2): a run found by id or uid prefix, its
// curves summarised, two runs' differing keys side by side, the list as CSV and JSON.
#include "reports/inspect.h"

#include <gtest/gtest.h>

#include "core/util/error.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

int64_t add_run(RunStore& store, int64_t seed, const std::string& config, double top1) {
  RunKey k;
  k.suite = "s";
  k.method = "gdfq";
  k.model = "resnet20";
  k.dataset = "cifar10";
  k.w_bits = k.a_bits = 4;
  k.seed = seed;
  Environment e;
  e.host = seed == 0 ? "alpha" : "beta";
  e.threads = 2;
  const auto id = store.begin_run(k, config, "h", e, "GDFQ", 2020);
  store.log_curves(id, 1, {{"test_top1", 50.0}, {"q_loss", 3.0}});
  store.log_curves(id, 2, {{"test_top1", 70.0}, {"q_loss", 1.0}});
  store.log_curves(id, 3, {{"test_top1", top1}, {"q_loss", 2.0}});
  store.finish_run(id, {{"top1", top1}});
  return id;
}

TEST(Inspect, FindsARunByIdOrUidPrefixAndNamesAMissingOne) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  const auto id = add_run(store, 0, R"({"lr":0.1})", 80.0);
  const auto v = load_run_view(store, std::to_string(id));
  EXPECT_EQ(v.run.id, id);
  EXPECT_DOUBLE_EQ(v.metrics.at("top1"), 80.0);
  EXPECT_EQ(load_run_view(store, v.run.uid.substr(0, 8)).run.id, id);
  EXPECT_THROW(load_run_view(store, "999"), InvalidInputError);
  EXPECT_THROW(load_run_view(store, "abc"), InvalidInputError);  // too short for a uid
}

TEST(Inspect, SummarisesEachCurve) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  const auto v = load_run_view(store, std::to_string(add_run(store, 0, "{}", 80.0)));
  const auto curves = summarize_curves(v.curves);
  ASSERT_EQ(curves.size(), 2u);
  EXPECT_EQ(curves[0].key, "q_loss");  // by key
  EXPECT_EQ(curves[0].n, 3);
  EXPECT_DOUBLE_EQ(curves[0].first, 3.0);
  EXPECT_DOUBLE_EQ(curves[0].last, 2.0);
  EXPECT_DOUBLE_EQ(curves[0].min, 1.0);
  EXPECT_DOUBLE_EQ(curves[0].max, 3.0);
  EXPECT_EQ(curves[1].last_step, 3);
  const auto text = render_run_show(v);
  EXPECT_NE(text.find("test_top1"), std::string::npos) << text;
  EXPECT_NE(text.find("alpha"), std::string::npos) << text;
}

TEST(Inspect, DiffListsOnlyWhatDiffers) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  const auto a = load_run_view(store, std::to_string(add_run(store, 0, R"({"lr":0.1,"g":{"dim":100,"bn":true}})", 80.0)));
  const auto b = load_run_view(store, std::to_string(add_run(store, 1, R"({"lr":0.1,"g":{"dim":256,"bn":true}})", 82.5)));
  const auto text = render_run_diff(a, b);
  EXPECT_NE(text.find("cell: 1 differ"), std::string::npos) << text;  // the seed
  EXPECT_NE(text.find("seed  A 0  B 1"), std::string::npos) << text;
  EXPECT_NE(text.find("configuration: 1 differ"), std::string::npos) << text;
  EXPECT_NE(text.find("g.dim  A 100  B 256"), std::string::npos) << text;
  EXPECT_EQ(text.find("g.bn"), std::string::npos) << text;  // the same in both
  EXPECT_EQ(text.find("lr "), std::string::npos) << text;
  EXPECT_NE(text.find("top1  A 80  B 82.5"), std::string::npos) << text;
  EXPECT_NE(text.find("host"), std::string::npos) << text;  // alpha vs beta
}

TEST(Inspect, ListsRunsAsCsvAndJson) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  add_run(store, 0, "{}", 80.0);
  std::vector<RunView> views;
  for (const auto& r : store.list_runs()) views.push_back({r, store.metrics(r.id), {}});
  const auto csv = render_runs_list_csv(views);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "id,uid,suite,method,model,dataset,w_bits,a_bits,seed,status,top1,top1_val,fp_top1,started_at,ended_at,"
            "host,cpu,threads,device,build_commit,slurm_job");
  EXPECT_NE(csv.find(",gdfq,resnet20,cifar10,4,4,0,done,80,"), std::string::npos) << csv;
  const auto j = nlohmann::json::parse(runs_list_json(views).dump());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["method"], "gdfq");
  EXPECT_DOUBLE_EQ(j[0]["metrics"]["top1"].get<double>(), 80.0);
}

}  // namespace
}  // namespace dfq
