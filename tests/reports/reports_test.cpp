// Statistics against hand values, tables built from a hand-filled store, the renderers,
// and the CI accuracy gate's verdicts.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libfccp/csv.h>

#include <cmath>
#include <fstream>
#include <tuple>

#include "core/store/run_store.h"
#include "core/util/error.h"
#include "reports/check.h"
#include "reports/report.h"
#include "reports/selection.h"
#include "reports/statistics.h"
#include "reports/svg.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

TEST(Statistics, SummaryUsesTheSampleStd) {
  auto s = summarize({1.0, 2.0, 6.0});
  EXPECT_EQ(s.n, 3);
  EXPECT_DOUBLE_EQ(s.mean, 3.0);
  EXPECT_NEAR(s.std, std::sqrt(7.0), 1e-12);  // (4 + 1 + 9) / 2
  EXPECT_DOUBLE_EQ(s.min, 1.0);
  EXPECT_DOUBLE_EQ(s.max, 6.0);
  EXPECT_DOUBLE_EQ(summarize({5.0}).std, 0.0);
}

TEST(Statistics, IncompleteBetaAndStudentT) {
  // I_0.5(2, 3) = sum_{j=2..4} C(4, j) / 16 = 11/16.
  EXPECT_NEAR(incomplete_beta(2, 3, 0.5), 11.0 / 16.0, 1e-12);
  EXPECT_NEAR(incomplete_beta(1, 1, 0.3), 0.3, 1e-12);
  EXPECT_NEAR(student_t_cdf(0.0, 7), 0.5, 1e-12);
  // Two-sided 5 % critical values of t tables: df 4 -> 2.776445, df 10 -> 2.228139, df 1 -> 12.7062.
  EXPECT_NEAR(student_t_quantile(0.05, 4), 2.776445, 1e-6);
  EXPECT_NEAR(student_t_quantile(0.05, 10), 2.228139, 1e-6);
  EXPECT_NEAR(student_t_quantile(0.05, 1), 12.706205, 1e-5);
  EXPECT_NEAR(student_t_cdf(student_t_quantile(0.01, 3.7), 3.7), 0.995, 1e-12);
  EXPECT_NEAR(student_t_cdf(1.0, 1), 0.75, 1e-12);  // Cauchy: 1/2 + atan(1)/pi
  EXPECT_NEAR(student_t_cdf(-1.0, 1), 0.25, 1e-12);
  EXPECT_NEAR(student_t_cdf(2.0, 2), 0.5 + 1.0 / std::sqrt(6.0), 1e-12);  // 1/2 + t / (2 sqrt(t^2 + 2))
}

TEST(Statistics, WelchMatchesHandComputation) {
  // Means 2 and 5, variances 1 and 1, n = 3: t = -3 / sqrt(2/3), df = 4 exactly;
  // two-sided p for |t| = 3.6742 at 4 df is 0.021311 (tables / scipy).
  auto w = welch_t_test({1, 2, 3}, {4, 5, 6});
  ASSERT_TRUE(w.valid);
  EXPECT_NEAR(w.t, -3.0 / std::sqrt(2.0 / 3.0), 1e-12);
  EXPECT_NEAR(w.df, 4.0, 1e-12);
  EXPECT_NEAR(w.p, 0.021311, 1e-5);
  // Unequal variances: df below n1 + n2 - 2.
  auto u = welch_t_test({1, 2, 3, 4}, {10, 20, 30});
  EXPECT_LT(u.df, 5.0);
  EXPECT_FALSE(welch_t_test({1}, {2, 3}).valid);
  EXPECT_FALSE(welch_t_test({1, 1}, {1, 1}).valid);
}

Environment env() {
  Environment e;
  e.host = "test";
  return e;
}

int64_t add_run(RunStore& store, const std::string& method, int bits, int64_t seed, double top1,
                const std::string& suite = "s", std::map<std::string, double> extra = {}) {
  RunKey k;
  k.suite = suite;
  k.method = method;
  k.model = "resnet20";
  k.dataset = "cifar10";
  k.w_bits = k.a_bits = bits;
  k.seed = seed;
  auto id = store.begin_run(k, "{}", "h", env(), method + " paper", 2020);
  extra["top1"] = top1;
  extra["fp_top1"] = 93.0;
  store.log_curves(id, 1, {{"test_top1", top1 - 1}, {"h_p50", 0.4}});
  store.log_curves(id, 2, {{"test_top1", top1}, {"h_p50", 0.5}});
  store.finish_run(id, extra);
  return id;
}

// The one rule reports and the gate share: per cell, the newest finished run that has the
// metric; rows split a method's protocols; filters drop the rest.
TEST(Selection, NewestFinishedRunPerCellThatHasTheMetric) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  add_run(store, "gdfq", 4, 0, 80.0);
  const int64_t newer = add_run(store, "gdfq", 4, 0, 81.0);
  add_run(store, "gdfq", 4, 1, 70.0);
  add_run(store, "gdfq", 3, 0, 60.0, "s", {{"finetuned", 1}});
  const int64_t post = add_run(store, "gdfq", 3, 0, 50.0, "s", {{"finetuned", 0}});
  add_run(store, "adasg", 4, 0, 90.0, "other-suite");
  RunKey k;
  k.suite = "s";
  k.method = "gdfq";
  k.model = "resnet20";
  k.dataset = "cifar10";
  k.w_bits = k.a_bits = 4;
  store.begin_run(k, "{}", "h", env(), "p", 2020);  // still running: never selected

  RunSelection sel;
  sel.suite = "s";
  auto runs = select_runs(store, sel);
  ASSERT_EQ(runs.size(), 3u);  // W4 seed 0 (newest), W4 seed 1, W3 seed 0 (newest of two)
  EXPECT_EQ(runs[0].run.id, post);
  EXPECT_EQ(runs[1].run.key.seed, 1);
  EXPECT_EQ(runs[2].run.id, newer);
  EXPECT_DOUBLE_EQ(runs[2].metrics.at("top1"), 81.0);

  sel.row_of = [](const RunRecord& r, const std::map<std::string, double>& m) {
    return m.count("finetuned") ? r.key.method + (m.at("finetuned") > 0.5 ? "+ft" : "+pt") : r.key.method;
  };
  EXPECT_EQ(select_runs(store, sel).size(), 4u);  // the two W3 protocols are two cells
  sel.bits = {{4, 4}};
  EXPECT_EQ(select_runs(store, sel).size(), 2u);
  sel.metric = "no_such_metric";
  EXPECT_TRUE(select_runs(store, sel).empty());
}

// What a run recorded about departing from the official code reaches both renderers,
// once per row however many runs say it.
TEST(Report, ShowsHowRunsDifferFromTheOfficialCode) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  RunKey k;
  k.suite = "s";
  k.method = "zeroq";
  k.model = "resnet20";
  k.dataset = "cifar10";
  for (int64_t seed : {0, 1}) {
    k.seed = seed;
    k.w_bits = k.a_bits = 4;
    auto id = store.begin_run(k, "{}", "h", env(), "ZeroQ", 2020, {"low-bit rows are an extension"});
    store.finish_run(id, {{"top1", 50.0}});
  }
  ReportOptions o;
  o.suite = "s";
  auto rep = build_report(store, o, {});
  ASSERT_EQ(rep.groups.size(), 1u);
  EXPECT_EQ(rep.groups[0].rows[0].notes, std::vector<std::string>{"low-bit rows are an extension"});
  const auto md = render_markdown(rep);
  EXPECT_NE(md.find("Where these runs differ from the official code"), std::string::npos);
  EXPECT_NE(md.find("- zeroq (cifar10 / resnet20): low-bit rows are an extension"), std::string::npos) << md;
  EXPECT_NE(render_html(rep).find("<b>zeroq</b>: low-bit rows are an extension"), std::string::npos);
}

// Curves over seeds: per key and step the mean and the seeds' range; a step or value a run
// lacks (or a non-finite one) is left to the runs that have it.
TEST(Report, CurveBandsAreTheMeanAndRangeOfTheSeeds) {
  const std::vector<std::vector<CurvePoint>> runs = {
      {{1, "loss", 1.0}, {2, "loss", 3.0}, {1, "h_p50", 0.5}},
      {{1, "loss", 3.0}, {2, "loss", std::nan("")}},
  };
  const auto bands = curve_bands(runs);
  ASSERT_EQ(bands.size(), 2u);
  EXPECT_EQ(bands[0].key, "loss");
  EXPECT_EQ(bands[0].runs, 2);
  EXPECT_EQ(bands[0].steps, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(bands[0].mean, (std::vector<double>{2.0, 3.0}));
  EXPECT_EQ(bands[0].lo, (std::vector<double>{1.0, 3.0}));
  EXPECT_EQ(bands[0].hi, (std::vector<double>{3.0, 3.0}));
  EXPECT_EQ(bands[1].key, "h_p50");
  EXPECT_EQ(bands[1].runs, 1);
}

// #16 §3: the HTML's training curves are the seeds' mean with a band, each loss term on a
// panel of its own (q_loss near -920 no longer flattens the others), and h' with the game's
// bounds from the run's configuration; h_below/h_above and gen_kl are plotted.
TEST(Report, TrainingCurvesHaveBandsOwnPanelsAndTheGameBounds) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  RunKey k{"s", "adasg", "resnet20", "cifar10", 4, 4, 0};
  for (int64_t seed : {0, 1}) {
    k.seed = seed;
    const auto id = store.begin_run(k, R"({"lambda_l":0.3,"lambda_u":0.8,"use_marginal":true})", "h", env(), "AdaSG",
                                    2023);
    for (int epoch = 1; epoch <= 3; ++epoch)
      store.log_curves(id, epoch,
                       {{"q_loss", -900.0 - epoch - seed}, {"g_bns", 0.1 * epoch}, {"h_p50", 0.5 + 0.01 * seed},
                        {"h_below_lower", 0.1}, {"h_above_upper", 0.05}, {"gen_kl_pq", 0.2 * epoch}});
    store.finish_run(id, {{"top1", 80.0 + seed}});
  }
  ReportOptions o;
  o.suite = "s";
  const auto rep = build_report(store, o, {});
  ASSERT_EQ(rep.groups.size(), 1u);
  const auto& row = rep.groups[0].rows[0];
  ASSERT_TRUE(row.h_bounds.has_value());
  EXPECT_DOUBLE_EQ(row.h_bounds->first, 0.3);
  EXPECT_DOUBLE_EQ(row.h_bounds->second, 0.8);
  const auto html = render_html(rep);
  EXPECT_NE(html.find("class=\"band\""), std::string::npos);
  EXPECT_NE(html.find("(2 seeds: mean, band min-max)"), std::string::npos);
  EXPECT_NE(html.find(">adasg W4A4: q_loss</text>"), std::string::npos) << "q_loss on a panel of its own";
  EXPECT_NE(html.find(">adasg W4A4: g_bns</text>"), std::string::npos) << "g_bns on a panel of its own";
  EXPECT_NE(html.find(">lambda_l 0.3</text>"), std::string::npos);
  EXPECT_NE(html.find(">lambda_u 0.8</text>"), std::string::npos);
  EXPECT_NE(html.find("share of samples outside the bounds"), std::string::npos);
  EXPECT_NE(html.find("KL(P || Q) on generated images"), std::string::npos);
}

// #16 §3: the HTML's deployment view: top-1 against packed size and against int8 latency
// with the Pareto front, and a table of the packed bytes, int8 latency p50/p95 and peak RSS.
TEST(Report, HtmlHasADeploymentViewAndTable) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  for (const auto& [method, bits, top1] : {std::tuple<std::string, int, double>{"gdfq", 4, 85}, {"adasg", 4, 87},
                                           {"gdfq", 8, 91}, {"adasg", 8, 92}}) {
    RunKey k{"s", method, "resnet20", "cifar10", bits, bits, 0};
    const auto id = store.begin_run(k, "{}", "h", env(), method, 2020);
    store.finish_run(id, {{"top1", top1},
                          {"fp_top1", 93},
                          {"weight_bytes_fp32", 1024.0 * 1000},
                          {"weight_bytes_packed", 1024.0 * (bits == 4 ? 130 : 255)},
                          {"packed_file_bytes", 1024.0 * (bits == 4 ? 131 : 256)},
                          {"latency_ms_p50_int8_b1", bits == 4 ? 0.40 : 0.50},
                          {"latency_ms_p95_int8_b1", bits == 4 ? 0.45 : 0.55},
                          {"latency_ms_p50_fp32_b1", 0.9},
                          {"peak_rss_bytes", 300.0 * 1048576}});
  }
  ReportOptions o;
  o.suite = "s";
  const auto html = render_html(build_report(store, o, {}));
  EXPECT_NE(html.find("deployment (means over the runs of each bit-width)"), std::string::npos) << html;
  EXPECT_NE(html.find("top1 against packed weights"), std::string::npos);
  EXPECT_NE(html.find("top1 against int8 latency"), std::string::npos);
  EXPECT_NE(html.find(">Pareto front</text>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>W4A4</td><td>130.0</td><td>131.0</td><td>0.40 / 0.45</td>"), std::string::npos)
      << html;
  EXPECT_NE(html.find("<td>300</td></tr>"), std::string::npos);
}

// #13 §4: top-1 against compute: per cell the images its runs computed on and their wall
// time (mean, range), threads and batch size, in Markdown, HTML (two log-axis plots from the
// per-epoch curves) and JSON; runs that did not record their images are left out of it.
TEST(Report, ShowsTopOneAgainstImagesSeenAndWallTime) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  // adasg: batch 16, 3 epochs x 100 iterations; gdfq: batch 200, the same iterations.
  for (const auto& [method, batch, seconds] :
       {std::tuple<std::string, int64_t, double>{"adasg", 16, 60}, {"gdfq", 200, 600}})
    for (int64_t seed : {0, 1}) {
      RunKey k{"s", method, "resnet20", "cifar10", 4, 4, seed};
      const auto id =
          store.begin_run(k, fmt::format(R"({{"batch_size":{}}})", batch), "h", env(), method, 2020);
      for (int epoch = 1; epoch <= 3; ++epoch)
        store.log_curves(id, epoch,
                         {{"test_top1", 80.0 + epoch + seed},
                          {"images_seen", static_cast<double>(epoch * 100 * batch)},
                          {"wall_seconds", seconds * epoch / 3 + seed}});
      store.finish_run(id, {{"top1", 83.0 + seed},
                            {"train_images", static_cast<double>(300 * batch)},
                            {"train_seconds", seconds + seed}});
    }
  add_run(store, "noise", 4, 0, 70.0);  // recorded no images: not in the compute view
  ReportOptions o;
  o.suite = "s";
  const auto rep = build_report(store, o, {});
  ASSERT_EQ(rep.groups.size(), 1u);
  const auto lines = compute_lines(rep.groups[0]);
  ASSERT_EQ(lines.size(), 2u);  // rows by name (no method order given)
  EXPECT_EQ(lines[0].method, "adasg");
  EXPECT_DOUBLE_EQ(lines[0].top1.mean, 83.5);
  EXPECT_EQ(lines[1].method, "gdfq");
  EXPECT_EQ(lines[1].batch, 200);
  EXPECT_DOUBLE_EQ(lines[1].images.mean, 60000);
  EXPECT_DOUBLE_EQ(lines[1].seconds.mean, 600.5);
  EXPECT_EQ(lines[1].threads, "1");  // what the hand-made runs recorded (env())
  EXPECT_EQ(count_text(4800), "4.8k");
  EXPECT_EQ(count_text(60000), "60k");
  EXPECT_EQ(count_text(1.25e6), "1.25M");
  EXPECT_EQ(count_text(512), "512");

  const auto md = render_markdown(rep);
  EXPECT_NE(md.find("top-1 against compute"), std::string::npos) << md;
  // images/s = 60000 / 600.5 = 99.9; top-1 83.5 +- 0.71.
  EXPECT_NE(md.find("| gdfq | W4A4 | 200 | 60k | 600 (600–601) | 1 | 99.9 | 83.50 ± 0.71 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| adasg | W4A4 | 16 | 4.8k | 60 (60–61) | 1 | 79.3 | 83.50 ± 0.71 |"), std::string::npos) << md;
  EXPECT_EQ(md.find("| noise | W4A4 |"), std::string::npos) << "a run without train_images has no compute line";

  const auto html = render_html(rep);
  EXPECT_NE(html.find("top-1 against images seen"), std::string::npos);
  EXPECT_NE(html.find("top-1 against wall time"), std::string::npos);
  // Log axes: adasg's first epoch saw 1,600 images and gdfq's last 60,000; ticks at 1k, 10k.
  EXPECT_NE(html.find(">10k</text>"), std::string::npos) << html;
  EXPECT_NE(html.find(">100 s</text>"), std::string::npos);
  // Each method's line in its own colour (method_style), as in every other plot.
  EXPECT_NE(html.find("stroke=\"" + method_style("adasg").colour + "\" stroke-width=\"2\""), std::string::npos);

  const auto j = report_json(rep);
  const auto& cell = j["groups"][0]["rows"][1]["cells"][0];  // gdfq
  ASSERT_TRUE(cell.contains("compute")) << cell.dump();
  EXPECT_DOUBLE_EQ(cell["compute"]["train_images"]["mean"].get<double>(), 60000);
  EXPECT_EQ(cell["compute"]["batch_size"].get<int64_t>(), 200);
}

TEST(Report, NamesTheDevicesWhenRunsLeftTheCpu) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  RunKey k;
  k.suite = "s";
  k.method = "adasg";
  k.model = "resnet20";
  k.dataset = "cifar10";
  k.w_bits = k.a_bits = 4;
  for (const auto& [seed, device] : {std::pair<int64_t, std::string>{0, "cpu"}, {1, "cuda:0"}, {2, "cuda:0"}}) {
    k.seed = seed;
    auto e = env();
    e.device = device;
    store.finish_run(store.begin_run(k, "{}", "h", e, "AdaSG", 2023), {{"top1", 80.0}});
  }
  ReportOptions o;
  o.suite = "s";
  auto rep = build_report(store, o, {});
  ASSERT_EQ(rep.groups.size(), 1u);
  EXPECT_EQ(rep.groups[0].rows[0].notes,
            std::vector<std::string>{"runs by device: cpu 1, cuda:0 2; deployment figures are CPU measurements for all"});
}

// #16 §2: every report says how its numbers were obtained, from the runs it read.
TEST(Report, SaysHowItsNumbersWereObtained) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  RunKey k;
  k.suite = "s";
  k.method = "adasg";
  k.model = "resnet20";
  k.dataset = "cifar10";
  k.w_bits = k.a_bits = 4;
  for (int64_t seed : {0, 1}) {
    k.seed = seed;
    auto e = env();
    e.host = seed == 0 ? "alpha" : "beta";
    e.cpu = "Test CPU 9000";
    e.threads = 2;
    store.finish_run(store.begin_run(k, "{}", "h", e, "AdaSG", 2023), {{"top1", 80.0}});
  }
  ReportOptions o;
  o.suite = "s";
  const auto rep = build_report(store, o, {});
  EXPECT_EQ(rep.provenance.runs, 2);
  EXPECT_EQ(rep.provenance.hosts, (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_EQ(rep.provenance.cpus, std::vector<std::string>{"Test CPU 9000"});
  const auto md = render_markdown(rep);
  EXPECT_NE(md.find("#### How these numbers were obtained"), std::string::npos) << md;
  EXPECT_NE(md.find("- hosts: alpha, beta\n"), std::string::npos) << md;
  EXPECT_NE(md.find("- processors: Test CPU 9000\n"), std::string::npos) << md;
  EXPECT_NE(md.find("- threads per run: 2\n"), std::string::npos) << md;
  const auto html = render_html(rep);
  EXPECT_NE(html.find("<th>processors</th><td>Test CPU 9000</td>"), std::string::npos);
  EXPECT_LT(html.find("How these numbers were obtained"), html.find("</body>"));
}

// #16 §4: the deployment table marks a column whose latency was measured while other work
// used the cores, and says when some runs timed it inside training (before the latency phase).
TEST(Report, MarksNoisyLatencyAndLatencyTimedInsideTraining) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  const std::map<std::string, double> phase = {{"weight_bytes_packed", 1000}, {"latency_ms_p50_fp32_b64", 2.0}};
  auto with = [&](double noisy) {
    auto m = phase;
    m["latency_noisy"] = noisy;
    return m;
  };
  add_run(store, "adasg", 4, 0, 80.0, "s", with(1));
  add_run(store, "adasg", 4, 1, 81.0, "s", with(0));
  add_run(store, "adasg", 3, 0, 70.0, "s", with(0));
  ReportOptions o;
  o.suite = "s";
  auto md = render_markdown(build_report(store, o, {}));
  EXPECT_NE(md.find("| W4A4 |"), std::string::npos) << md;
  EXPECT_NE(md.find("(noisy: 1 of 2 runs)"), std::string::npos) << md;
  EXPECT_EQ(md.find("(noisy: 0 of"), std::string::npos) << md;
  EXPECT_EQ(md.find("timed at the end of the training run"), std::string::npos) << md;
  add_run(store, "adasg", 3, 1, 71.0, "s", phase);  // an older run: latency without the phase's verdict
  md = render_markdown(build_report(store, o, {}));
  EXPECT_NE(md.find("timed at the end of the training run"), std::string::npos) << md;
}

// #16 §2: runs.csv has a row per run the tables read; a field with a comma or a quote
// round-trips through the CSV reader the project reads published.csv with. report.json
// holds the cells' seeds, values and run ids.
TEST(Report, ExportsEveryRunAsCsvAndTheReportAsJson) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  RunKey k;
  k.suite = "s";
  k.method = "gdfq";
  k.model = "resnet20";
  k.dataset = "cifar10";
  k.w_bits = k.a_bits = 4;
  std::vector<int64_t> ids;
  for (int64_t seed : {0, 1}) {
    k.seed = seed;
    auto e = env();
    e.host = "node \"7\", rack 2";
    e.cpu = "Test CPU, 9000";
    ids.push_back(store.begin_run(k, "{}", "h", e, "GDFQ", 2020));
    store.finish_run(ids.back(), {{"top1", seed == 0 ? 80.0 : 82.0}});
  }
  ReportOptions o;
  o.suite = "s";
  const auto rep = build_report(store, o, {});
  std::ofstream(dir.file("runs.csv")) << render_runs_csv(rep);
  io::CSVReader<5, io::trim_chars<>, io::double_quote_escape<',', '"'>> in(dir.file("runs.csv"));
  in.read_header(io::ignore_extra_column, "run_id", "seed", "value", "host", "cpu");
  std::map<int64_t, std::tuple<int64_t, double, std::string, std::string>> got;
  int64_t id = 0, seed = 0;
  double value = 0;
  std::string host, cpu;
  while (in.read_row(id, seed, value, host, cpu)) got[id] = {seed, value, host, cpu};
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[ids[0]], std::make_tuple(int64_t{0}, 80.0, std::string("node \"7\", rack 2"),
                                         std::string("Test CPU, 9000")));
  EXPECT_EQ(std::get<1>(got[ids[1]]), 82.0);

  const auto j = nlohmann::json::parse(report_json(rep).dump());
  EXPECT_EQ(j["suite"], "s");
  EXPECT_EQ(j["runs"], 2);
  const auto& cell = j["groups"][0]["rows"][0]["cells"][0];
  EXPECT_EQ(cell["w_bits"], 4);
  EXPECT_EQ(cell["seeds"], nlohmann::json({0, 1}));
  EXPECT_DOUBLE_EQ(cell["summary"]["mean"].get<double>(), 81.0);
  EXPECT_EQ(cell["values"].size(), 2u);
  EXPECT_EQ(cell["run_ids"].size(), 2u);
  EXPECT_EQ(j["provenance"]["cpus"], nlohmann::json({"Test CPU, 9000"}));
}

// #17 item 3: thread counts change the numbers by rounding; a row that mixes them says so.
TEST(Report, NamesTheThreadCountsWhenARowMixesThem) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  RunKey k;
  k.suite = "s";
  k.method = "gdfq";
  k.model = "resnet20";
  k.dataset = "cifar10";
  k.w_bits = k.a_bits = 4;
  for (const auto& [seed, threads] : {std::pair<int64_t, int>{0, 2}, {1, 1}, {2, 2}}) {
    k.seed = seed;
    auto e = env();
    e.threads = threads;
    store.finish_run(store.begin_run(k, "{}", "h", e, "GDFQ", 2020), {{"top1", 80.0}});
  }
  ReportOptions o;
  o.suite = "s";
  auto rep = build_report(store, o, {});
  ASSERT_EQ(rep.groups.size(), 1u);
  EXPECT_EQ(rep.groups[0].rows[0].notes,
            std::vector<std::string>{"runs by CPU threads: 1 thread 1, 2 threads 2; thread counts change the numbers "
                                     "by rounding (sums in another order)"});
}

TEST(Report, TableHasMeansPublishedNumbersAndTTests) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  add_run(store, "gdfq", 4, 0, 80.0);
  add_run(store, "gdfq", 4, 1, 81.0);
  add_run(store, "gdfq", 4, 2, 82.0);
  add_run(store, "adasg", 4, 0, 84.0);
  add_run(store, "adasg", 4, 1, 85.0);
  add_run(store, "adasg", 4, 2, 99.0);  // superseded by the newer run of seed 2 below
  add_run(store, "adasg", 4, 2, 86.0);
  add_run(store, "adasg", 3, 0, 70.0);
  add_run(store, "zeroq", 4, 0, 60.0, "s", {{"finetuned", 0.0}});
  add_run(store, "gdfq", 4, 0, 10.0, "other-suite");
  std::vector<PublishedRow> pub = {{"cifar10", "resnet20", "adasg", 4, 4, 90.1, false, "t"},
                                   {"cifar10", "resnet20", "gdfq", 4, 4, 88.0, true, "t"},
                                   {"cifar10", "resnet20", "fp", 32, 32, 93.89, false, "t"}};
  ReportOptions o;
  o.suite = "s";
  o.method_order = {"zeroq", "gdfq", "adasg"};
  auto rep = build_report(store, o, pub);
  ASSERT_EQ(rep.groups.size(), 1u);
  const auto& g = rep.groups[0];
  ASSERT_EQ(g.columns.size(), 2u);  // W3A3, W4A4
  EXPECT_EQ(g.columns[0].w, 3);
  ASSERT_EQ(g.rows.size(), 3u);
  EXPECT_EQ(g.rows[0].label, "zeroq (post-training)");
  EXPECT_EQ(g.rows[1].label, "gdfq");
  const auto& adasg = g.rows[2];
  EXPECT_EQ(adasg.year, 2020);
  const auto& c4 = adasg.cells[1];
  EXPECT_EQ(c4.summary.n, 3);
  EXPECT_DOUBLE_EQ(c4.summary.mean, 85.0);  // 84, 85, 86: the newest run of seed 2
  EXPECT_DOUBLE_EQ(c4.summary.std, 1.0);
  ASSERT_TRUE(c4.published.has_value());
  EXPECT_DOUBLE_EQ(c4.published->top1, 90.1);
  ASSERT_TRUE(c4.vs_baseline.valid);
  EXPECT_NEAR(c4.vs_baseline.t, 4.0 / std::sqrt(2.0 / 3.0), 1e-9);  // (85 - 81) / sqrt(1/3 + 1/3)
  EXPECT_EQ(adasg.cells[0].summary.n, 1);
  EXPECT_FALSE(adasg.cells[0].vs_baseline.valid);
  ASSERT_TRUE(g.fp_top1.has_value());
  EXPECT_DOUBLE_EQ(*g.fp_top1, 93.0);
  EXPECT_FALSE(adasg.sample_bands.empty());

  auto md = render_markdown(rep);
  EXPECT_NE(md.find("| adasg | 2020 |"), std::string::npos) << md;
  EXPECT_NE(md.find("85.00 ± 1.00 (3) · paper 90.10*"), std::string::npos) << md;
  EXPECT_NE(md.find("paper 88.00†"), std::string::npos) << md;
  EXPECT_NE(md.find("best test accuracy over all epochs of one seed"), std::string::npos);
  EXPECT_NE(md.find("full precision (teacher)"), std::string::npos);
  auto csv = render_csv(rep);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 4);  // header + 4 cells with runs
  auto html = render_html(rep);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("h_p50"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);  // self-contained, static
}

TEST(Report, ReadsThePublishedCsv) {
  auto rows = load_published(default_published_path());
  ASSERT_GT(rows.size(), 50u);
  bool found = false;
  for (const auto& r : rows)
    if (r.dataset == "cifar10" && r.model == "resnet20" && r.method == "fp") found = r.top1 == 93.89;
  EXPECT_TRUE(found);
  testing::TempDir dir;
  std::ofstream(dir.file("bad.csv")) << "dataset,model\ncifar10,resnet20\n";
  EXPECT_THROW(load_published(dir.file("bad.csv")), CorruptFileError);
  EXPECT_THROW(load_published(dir.file("none.csv")), MissingFileError);
}

TEST(Check, VerdictsAndReferenceRoundTrip) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  add_run(store, "gdfq", 4, 0, 80.0, "ci");
  add_run(store, "adasg", 4, 0, 70.0, "ci");
  add_run(store, "noise", 4, 0, 50.0, "ci");
  auto ref = reference_from_store(store, "ci", 1.0);
  ASSERT_EQ(ref.cells.size(), 3u);
  write_reference(dir.file("ref.yaml"), ref);
  auto back = load_reference(dir.file("ref.yaml"));
  ASSERT_EQ(back.cells.size(), 3u);
  for (const auto& o : check_reference(store, back)) EXPECT_EQ(o.verdict, Verdict::Ok) << o.describe();

  // New runs: gdfq 2 points worse (regression), adasg 2 better (improvement), noise within atol.
  add_run(store, "gdfq", 4, 0, 78.0, "ci");
  add_run(store, "adasg", 4, 0, 72.0, "ci");
  add_run(store, "noise", 4, 0, 50.9, "ci");
  back.cells.push_back({{"ci", "qimera", "resnet20", "cifar10", 4, 4, 0}, 75.0, -1});
  std::map<std::string, Verdict> got;
  for (const auto& o : check_reference(store, back)) got[o.cell.key.method] = o.verdict;
  EXPECT_EQ(got["gdfq"], Verdict::Regression);
  EXPECT_EQ(got["adasg"], Verdict::Improvement);
  EXPECT_EQ(got["noise"], Verdict::Ok);
  EXPECT_EQ(got["qimera"], Verdict::Missing);
  // A per-cell tolerance overrides the file's.
  back.cells[0].atol = 5.0;  // adasg (sorted first)
  for (const auto& o : check_reference(store, back))
    if (o.cell.key.method == "adasg") EXPECT_EQ(o.verdict, Verdict::Ok);

  // A run that diverged fails the gate even with its top-1 in range.
  add_run(store, "noise", 4, 0, 50.0, "ci", {{"diverged_at_epoch", 2}});
  for (const auto& o : check_reference(store, back))
    if (o.cell.key.method == "noise") {
      EXPECT_EQ(o.verdict, Verdict::Regression);
      EXPECT_NE(o.describe().find("diverged at epoch 2"), std::string::npos) << o.describe();
    }

  std::ofstream(dir.file("bad.yaml")) << "suite: ci\ncells:\n  - {method: gdfq}\n";
  EXPECT_THROW(load_reference(dir.file("bad.yaml")), InvalidInputError);
}

// #17 item 3: the gate says when the runs it compares mix thread counts (they differ in their
// last bits), and names how many cells ran at each count; one thread count says nothing.
TEST(Check, SaysWhenTheComparedRunsMixThreadCounts) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  auto add = [&](const std::string& method, int threads) {
    RunKey k{"ci", method, "resnet20", "cifar10", 4, 4, 0};
    Environment e = env();
    e.threads = threads;
    store.finish_run(store.begin_run(k, "{}", "h", e, "p", 2020), {{"top1", 80.0}, {"fp_top1", 93.0}});
  };
  add("gdfq", 2);
  add("adasg", 2);
  const auto ref = reference_from_store(store, "ci", 1.0);
  EXPECT_EQ(thread_mix_note(check_reference(store, ref)), "");
  add("noise", 1);
  add("adasg", 1);  // the newest adasg run is the one compared
  auto outcomes = check_reference(store, reference_from_store(store, "ci", 1.0));
  for (const auto& o : outcomes) EXPECT_EQ(o.threads, o.cell.key.method == "gdfq" ? 2 : 1) << o.describe();
  const auto note = thread_mix_note(outcomes);
  EXPECT_NE(note.find("mix thread counts (2 cells at 1 thread, 1 cell at 2 threads)"), std::string::npos) << note;
  // A missing cell has no thread count.
  auto with_missing = ref;
  with_missing.cells.push_back({{"ci", "qimera", "resnet20", "cifar10", 4, 4, 0}, 75.0, -1});
  outcomes = check_reference(store, with_missing);
  EXPECT_EQ(outcomes.back().threads, 0);
}

// #17 item 12: a reference that cannot fail (NaN tolerance or value, no cells) or that says
// something other than it means (negative tolerance, a cell twice, an unknown key) is refused.
TEST(Check, ReferencesThatCannotFailAreRefused) {
  testing::TempDir dir;
  const std::string cell = "{method: gdfq, model: lenet5, dataset: fashion-mnist, w_bits: 4, a_bits: 4, seed: 0";
  auto expect_refused = [&](const std::string& text, const std::string& why) {
    std::ofstream(dir.file("ref.yaml")) << text;
    try {
      load_reference(dir.file("ref.yaml"));
      ADD_FAILURE() << "accepted: " << text;
    } catch (const InvalidInputError& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  };
  expect_refused("suite: ci\natol: .nan\ncells:\n  - " + cell + ", top1: 80}\n", "atol nan must be a finite");
  expect_refused("suite: ci\natol: -1\ncells:\n  - " + cell + ", top1: 80}\n", "atol -1 must be");
  expect_refused("suite: ci\ncells:\n  - " + cell + ", top1: 80, atol: .inf}\n", "cell 1: atol inf");
  expect_refused("suite: ci\ncells:\n  - " + cell + ", top1: .nan}\n", "top1 nan must be a percentage");
  expect_refused("suite: ci\ncells: []\n", "no cells; a gate that checks nothing passes anything");
  expect_refused("suite: ci\ncells:\n  - " + cell + ", top1: 80}\n  - " + cell + ", top1: 81}\n",
                 "cell 2: gdfq fashion-mnist/lenet5 W4A4 seed 0 is listed twice");
  expect_refused("suite: ci\ncells:\n  - " + cell + ", top1: 80, atoll: 3}\n", "cell 1: unknown key 'atoll' (did you mean 'atol'?); valid keys: a_bits, atol,");
  expect_refused("suite: ci\ntolerance: 2\ncells:\n  - " + cell + ", top1: 80}\n", "unknown key 'tolerance'");
  // The shipped reference passes these checks.
  EXPECT_NO_THROW(load_reference(std::string(DFQ_SOURCE_DIR) + "/results/reference/ci.yaml"));
}

}  // namespace
}  // namespace dfq
