// Turns a float model built from QConv2d / QLinear / QAct layers into a fake-quantized
// student by walking its module tree: no per-model code.
#pragma once
#include <torch/torch.h>

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

// Validates the bit-widths, then sets every layer's quantizer. Activation quantizers start
// in calibration mode (ranges update on every forward) until set_calibration(false).
QuantSummary quantize_model(torch::nn::Module& model, const QuantConfig& config);

// Starts or stops activation-range updates on every QAct of the model.
void set_calibration(torch::nn::Module& model, bool on);

// Calibration updates made so far by the first activation quantizer (0 when none).
int64_t calibration_updates(torch::nn::Module& model);

}  // namespace dfq
