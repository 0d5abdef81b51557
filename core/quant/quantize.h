// Turns a float model built from QConv2d / QLinear / QAct layers into a fake-quantized
// student by walking its module tree: no per-model code.
#pragma once
#include <torch/torch.h>

#include "core/config/params.h"
#include "core/quant/range_tracker.h"

namespace dfq {

struct QuantConfig {
  int w_bits = 4;                 // 2..8, 32 = float
  int a_bits = 4;                 // 2..8, 32 = float
  bool keep_first_last_8bit = false;
  RangeTrackerKind tracker = RangeTrackerKind::Official;
  double beta = 0.9;
};

struct QuantSummary {
  int weight_layers = 0;      // QConv2d + QLinear
  int activation_layers = 0;  // QAct
  int first_last_8bit = 0;    // layers held at 8 bit by keep_first_last_8bit
};

// The quantizer settings of a method (`range_tracker`, `keep_first_last_8bit`), declared
// once; bits come from the cell, not from the configuration.
const ParamBlock<QuantConfig>& quant_block();

// The official tracker compounds its bias correction: one update gives the batch's exact
// min/max, but from the second on it needs ~200 updates to settle. Refuses 2..199
// calibration updates of an official tracker on a quantized activation; `source` says
// which settings give `updates` (e.g. "calib_epochs x iters_per_epoch").
void check_calibration_updates(const QuantConfig& config, double updates, const std::string& source);

// Validates the bit-widths, then sets every layer's quantizer. Activation quantizers start
// in calibration mode (ranges update on every forward) until set_calibration(false).
QuantSummary quantize_model(torch::nn::Module& model, const QuantConfig& config);

// Starts or stops activation-range updates on every QAct of the model.
void set_calibration(torch::nn::Module& model, bool on);

// Calibration updates made so far by the first activation quantizer (0 when none).
int64_t calibration_updates(torch::nn::Module& model);

}  // namespace dfq
