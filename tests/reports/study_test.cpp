// The study report: a suite's variants side by side, from a hand-filled store.
#include <gtest/gtest.h>

#include "core/store/run_store.h"
#include "reports/format.h"
#include "reports/study.h"
#include "tests/test_util.h"

namespace dfq {
namespace {

void add(RunStore& store, const std::string& suite, const std::string& method, int bits, int64_t seed, double top1,
         double images = 0, double seconds = 0) {
  RunKey k{suite, method, "resnet20", "fashion-mnist", bits, bits, seed};
  Environment e;
  e.host = "test";
  auto id = store.begin_run(k, "{}", "h", e, "paper", 2023);
  std::map<std::string, double> metrics = {{"top1", top1}};
  if (images > 0) metrics["train_images"] = images;
  if (seconds > 0) metrics["train_seconds"] = seconds;
  store.finish_run(id, metrics);
}

TEST(Study, VariantsSideBySideWithSpreadAndRanking) {
  testing::TempDir dir;
  RunStore store(dir.file("runs.sqlite"));
  // Variant "short": gdfq ahead; "long": adasg ahead with a clear gap.
  for (int64_t seed = 0; seed < 3; ++seed) {
    add(store, "st@short", "adasg", 4, seed, 80.0 + seed, 0, 60.0 * 5);  // 80 81 82; 5 minutes, no images
    add(store, "st@short", "gdfq", 4, seed, 82.0 + 2.0 * seed);    // 82 84 86
    add(store, "st@long", "adasg", 4, seed, 90.0 + 0.5 * seed);    // 90 90.5 91
    add(store, "st@long", "gdfq", 4, seed, 85.0 + 0.5 * seed,      // 85 85.5 86
        240000, 60.0 * (70 + 2 * seed));                          // 70 72 74 minutes
  }
  add(store, "st@extra", "gdfq", 4, 0, 70.0);   // not in the suite file: listed after, sorted
  add(store, "other", "gdfq", 4, 0, 10.0);      // another suite: never read
  add(store, "st", "gdfq", 4, 0, 10.0);         // the suite without a variant: not a variant

  const auto variants = study_variants(store, "st", {{"long", "epochs=6"}, {"short", "epochs=2"}, {"gone", "x=1"}});
  ASSERT_EQ(variants.size(), 3u);
  EXPECT_EQ(variants[0].name, "long");
  EXPECT_EQ(variants[1].name, "short");
  EXPECT_EQ(variants[2].name, "extra");
  EXPECT_EQ(variants[2].settings, "");

  const auto study = build_study(store, "st", variants, "top1", {"gdfq", "adasg"});
  EXPECT_EQ(study.runs, 13);
  ASSERT_EQ(study.groups.size(), 1u);
  const auto& g = study.groups[0];
  ASSERT_EQ(g.rows.size(), 2u);
  EXPECT_EQ(g.rows[0].label, "gdfq");  // the method order given
  EXPECT_EQ(g.rows[1].label, "adasg");
  const auto& gdfq_short = g.rows[0].cells[1];
  EXPECT_EQ(gdfq_short.summary.n, 3);
  EXPECT_DOUBLE_EQ(gdfq_short.summary.mean, 84.0);
  EXPECT_DOUBLE_EQ(gdfq_short.summary.std, 2.0);
  EXPECT_EQ(gdfq_short.values, (std::vector<double>{82, 84, 86}));
  EXPECT_EQ(g.rows[1].cells[2].summary.n, 0);  // adasg never ran "extra"
  EXPECT_DOUBLE_EQ(g.rows[0].cells[2].summary.mean, 70.0);

  const auto md = render_study_markdown(study);
  EXPECT_NE(md.find("- `long`: epochs=6"), std::string::npos) << md;
  // The provenance block counts the runs the variants' tables read (not "other" or "st").
  EXPECT_EQ(study.provenance.runs, 13);
  EXPECT_NE(md.find("#### How these numbers were obtained"), std::string::npos) << md;
  EXPECT_NE(md.find("- `extra`: (not in the suite file)"), std::string::npos) << md;
  EXPECT_NE(md.find("| W4A4 | gdfq | 85.50 ± 0.50 (3; 85.00–86.00) | 84.00 ± 2.00 (3; 82.00–86.00) | 70.00 (1) |"),
            std::string::npos)
      << md;
  // Ranking per variant with Welch's p between neighbours: long, adasg 90.5 vs gdfq 85.5,
  // equal std 0.5 and n 3: t = 5 / sqrt(2 * 0.25 / 3) = 12.25, df 4, p = 0.00026.
  EXPECT_NE(md.find("- W4A4 `long`: adasg 90.50 > (p<0.001) gdfq 85.50"), std::string::npos) << md;
  const auto w = welch_t_test(g.rows[1].cells[1].values, g.rows[0].cells[1].values);  // short: 81 vs 84
  EXPECT_NE(md.find("- W4A4 `short`: gdfq 84.00 > (" + p_text(w) + ") adasg 81.00"), std::string::npos) << md;

  // Cost per run beside the accuracy, where the runs recorded it.
  EXPECT_NE(md.find("| W4A4 | gdfq | 240k · 72 (70–74) | - | - |"), std::string::npos) << md;
  EXPECT_NE(md.find("| W4A4 | adasg | - | - · 5 (5–5) | - |"), std::string::npos) << md;

  const auto csv = render_study_csv(study);
  EXPECT_NE(csv.find("fashion-mnist,resnet20,gdfq,4,4,long,epochs=6,top1,3,85.5000,0.5000,85.0000,86.0000,0 1 2,"
                     "85.0000 85.5000 86.0000,0,240000,4320.0\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("fashion-mnist,resnet20,gdfq,4,4,short,epochs=2,top1,3,84.0000,2.0000,82.0000,86.0000,0 1 2,"
                     "82.0000 84.0000 86.0000,0,,\n"),
            std::string::npos)
      << csv;
}

TEST(Study, CsvFieldsFollowRfc4180) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
}

}  // namespace
}  // namespace dfq
