// A study report: the variants of one suite side by side (the schedule study: one variant
// per calibration and fine-tuning length). Per data set, model, bit-width and method, each
// variant's metric over seeds (mean, std, min..max, n, the seeds' values), and per variant
// and bit-width the methods ranked with Welch's p between neighbours, so one sees where the
// ranking and the spread stop moving.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/config/suite.h"
#include "core/store/run_store.h"
#include "reports/provenance.h"
#include "reports/selection.h"
#include "reports/statistics.h"

namespace dfq {

struct StudyVariant {
  std::string name;
  std::string settings;  // "key=value, ..." as the suite file gives them; empty if unknown
};

struct StudyCell {
  std::vector<double> values;  // one per seed, in seed order
  std::vector<int64_t> seeds;
  Summary summary;
  int diverged = 0;
  Summary images, seconds;  // per run: images its training computed on, its wall time (n = 0: not recorded)
};

struct StudyRow {
  std::string label;  // the report row (method, or zeroq's protocol label)
  BitWidth bits;
  std::vector<StudyCell> cells;  // one per variant, in the study's order
};

struct StudyGroup {
  std::string dataset, model;
  std::vector<BitWidth> bits;   // in ascending order
  std::vector<StudyRow> rows;   // by bit-width, then method (the registry's order)
};

struct Study {
  std::string suite, metric;
  std::vector<StudyVariant> variants;
  std::vector<StudyGroup> groups;
  int64_t runs = 0;
  LeftOut left_out;  // over all variants
  Provenance provenance;  // of the runs every variant's table read
};

// The suite's variants as recorded in the store ("<suite>@<variant>"): those of `known`
// first, in its order (the suite file's), then any others the store has, sorted.
std::vector<StudyVariant> study_variants(const RunStore& store, const std::string& suite,
                                         const std::vector<StudyVariant>& known);
// `mismatch_for(label)`: which runs of variant suite `label` to leave out (see
// ReportOptions::mismatch); unset: none.
Study build_study(const RunStore& store, const std::string& suite, const std::vector<StudyVariant>& variants,
                  const std::string& metric, const std::vector<std::string>& method_order,
                  const std::function<std::function<std::string(const RunRecord&)>(const std::string&)>&
                      mismatch_for = {});

std::string render_study_markdown(const Study& study);
// One row per (data set, model, method, bit-width, variant).
std::string render_study_csv(const Study& study);

}  // namespace dfq
