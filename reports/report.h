// Paper-style result tables built from the run store: per (data set, model), rows are
// methods, columns W/A bit-widths, cells the mean +- std over seeds of a metric (final-epoch
// test top-1 by default) with n, the published number where the paper has one, and
// Welch's t-test against a baseline method.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/store/run_store.h"
#include "core/config/suite.h"
#include "reports/provenance.h"
#include "reports/selection.h"
#include "reports/statistics.h"

namespace dfq {

struct PublishedRow {
  std::string dataset, model, method;
  int w_bits = 0, a_bits = 0;
  double top1 = 0;
  bool rerun = false;  // a dagger in the paper: re-run by the AdaDFQ authors
  std::string source;
};
// Reads results/paper/published.csv (dataset,model,method,w_bits,a_bits,top1,rerun,source).
std::vector<PublishedRow> load_published(const std::string& csv_path);
// The paper's full-precision row of (dataset, model), if it has one.
std::optional<PublishedRow> published_fp(const std::vector<PublishedRow>& published, const std::string& dataset,
                                         const std::string& model);
std::string default_published_path();

struct CurveBand {
  std::string key;
  std::vector<int64_t> steps;
  std::vector<double> mean, lo, hi;
  int runs = 0;  // seeds with this curve
};

// Per key and step: mean and min/max over the runs' curves (steps some run lacks use the
// runs that have them).
std::vector<CurveBand> curve_bands(const std::vector<std::vector<CurvePoint>>& runs);

struct ReportCell {
  BitWidth bits;
  std::vector<double> values;  // one per seed (the newest done run of each seed)
  std::vector<int64_t> seeds, run_ids;
  Summary summary, val_selected, best_test;
  std::optional<PublishedRow> published;
  WelchResult vs_baseline;
  int diverged = 0;  // runs whose training ended at a non-finite loss (metric diverged_at_epoch)
  // Compute (#13 §4): the images the runs' training loops computed on (metric train_images;
  // runs before it was recorded have none), their wall time (train_seconds), the threads per
  // run and the batch size (0 where the runs differ or do not say).
  Summary images, seconds;
  std::vector<int> threads;
  int64_t batch = 0;
};

struct ReportRow {
  std::string method;  // registry name
  std::string label;   // what the table shows (zeroq names its protocol)
  std::string paper;
  int year = 0;
  std::vector<ReportCell> cells;  // in column order; n = 0 where nothing ran
  std::vector<std::string> notes;  // how the row's runs depart from the official code (as recorded)
  // Per-epoch curves of the lowest bit-width over every seed that ran it: per key and step,
  // the mean and the range of the seeds (the plots' line and band).
  BitWidth sample_bits;
  std::vector<CurveBand> sample_bands;
  // The game's bounds on h' of the sample run (lambda_l, lambda_u), when its method plays one.
  std::optional<std::pair<double, double>> h_bounds;
};

struct ReportGroup {
  std::string dataset, model;
  std::vector<BitWidth> columns;
  std::vector<ReportRow> rows;
  // Per column: deployment metrics (weight bytes, packed file size, latency, peak RSS)
  // summarised over every run of that column.
  std::vector<std::map<std::string, Summary>> deployment;
  std::optional<double> fp_top1;            // the teacher's test top-1, from the runs
  std::optional<PublishedRow> fp_published;  // the paper's full-precision row
};

struct ReportOptions {
  std::string suite;
  std::string metric = "top1";
  std::string baseline = "gdfq";
  std::vector<std::string> method_order;  // rows in this order first (the registry's), others after
  std::vector<std::string> methods;       // only these, if given
  std::vector<BitWidth> bits;             // only these, if given
  // Runs that are not the suite file's cells as it configures them are left out (see
  // RunSelection::mismatch); unset: every run recorded under the suite's name counts.
  std::function<std::string(const RunRecord&)> mismatch;
};

struct Report {
  ReportOptions options;
  std::vector<ReportGroup> groups;
  int64_t runs = 0;
  LeftOut left_out;  // runs under the suite's name with other settings, not in the tables
  std::vector<SelectedRun> selected;  // the runs the tables read (runs.csv), newest first
  Provenance provenance;              // of `selected`
};

Report build_report(const RunStore& store, const ReportOptions& options, const std::vector<PublishedRow>& published);

// The compute view's lines (#13 §4), one per row and bit-width whose runs recorded the images
// they computed on, in row then column order: what each cell cost beside what it reached.
struct ComputeLine {
  std::string label, method;
  BitWidth bits;
  int64_t batch = 0;
  Summary images, seconds, top1;
  std::string threads;  // "1", or "1, 2" where the runs differ
};
std::vector<ComputeLine> compute_lines(const ReportGroup& group);
// A line's table fields (method, bits, batch, images seen, wall time with its range, threads,
// images/s, top-1 with its std), for the Markdown and HTML tables; `dash` and `plus_minus` as
// the format writes them. The label is raw (HTML escapes it).
std::vector<std::string> compute_fields(const ComputeLine& line, const std::string& dash,
                                        const std::string& plus_minus);
// 6400 -> "6.4k", 80000 -> "80k", 1.2e6 -> "1.2M" (3 significant digits at most).
std::string count_text(double n);

// Renderers. Markdown for READMEs and papers; CSV with one row per cell; a self-contained
// HTML page (inline CSS, SVG plots of top-1 against bit-width and of per-epoch curves).
std::string render_markdown(const Report& report);
std::string render_csv(const Report& report);
// One row per run the tables read: its cell, the metric, its main metrics and provenance
// (render_export.cpp). Fields follow RFC 4180.
std::string render_runs_csv(const Report& report);
// Everything the tables show (cells with their seeds' values and run ids, p-values,
// deployment figures, notes) and the provenance, as one JSON document; non-finite
// values are null.
nlohmann::json report_json(const Report& report);
// `appendix`: HTML sections placed after the tables (the claims).
std::string render_html(const Report& report, const std::string& appendix = "");
// The top-1 against bit-width plot of one group, as a standalone SVG file.
std::string render_bits_plot(const ReportGroup& group, const std::string& metric);

}  // namespace dfq
