#include "core/quant/quantize.h"

#include <fmt/format.h>

#include "core/quant/fake_quant.h"
#include "core/nn/modules.h"
#include "core/quant/layers.h"
#include "core/util/error.h"

namespace dfq {

const ParamBlock<QuantConfig>& quant_block() {
  static const auto block =
      ParamBlock<QuantConfig>("quantizer")
          .choice("range_tracker", &QuantConfig::tracker,
                  {{"official", RangeTrackerKind::Official}, {"ema", RangeTrackerKind::Ema},
                   {"minmax", RangeTrackerKind::MinMax}},
                  "activation-range update: official (the GDFQ/AdaSG code's compounded correction, ~200 updates to "
                  "settle), ema (bias-corrected EMA), minmax (running min/max)")
          .flag("keep_first_last_8bit", &QuantConfig::keep_first_last_8bit,
                "hold the first and the last layer at 8 bits");
  return block;
}

void check_calibration_updates(const QuantConfig& c, double updates, const std::string& source) {
  if (c.a_bits < 32 && updates < 1)
    throw InvalidInputError(fmt::format(
        "{} gives no calibration update: the A{} student's activation ranges would never be set; calibrate for at "
        "least one iteration",
        source, c.a_bits));
  if (c.tracker != RangeTrackerKind::Official || c.a_bits >= 32 || updates <= 1 || updates >= 200) return;
  throw InvalidInputError(fmt::format(
      "range_tracker=official with {:.0f} calibration updates ({}) freezes absurd activation ranges: after the "
      "first update it needs ~200 to settle; use --set range_tracker=ema (or minmax), or calibrate longer",
      updates, source));
}

QuantSummary quantize_model(torch::nn::Module& model, const QuantConfig& c) {
  check_bits(c.w_bits, "weight");
  check_bits(c.a_bits, "activation");
  QuantSummary s;
  auto convs = modules_of<QConv2dImpl>(model);
  auto linears = modules_of<QLinearImpl>(model);
  // The first layer is the first convolution (or linear, in a conv-free model); the last
  // layer is the last linear: the classifier.
  std::shared_ptr<torch::nn::Module> first, last;
  if (!convs.empty()) first = convs.front().second;
  else if (!linears.empty()) first = linears.front().second;
  if (!linears.empty()) last = linears.back().second;
  auto bits_for = [&](const std::shared_ptr<torch::nn::Module>& m) {
    if (c.keep_first_last_8bit && c.w_bits < 8 && (m == first || m == last)) {
      ++s.first_last_8bit;
      return 8;
    }
    return c.w_bits;
  };
  for (auto& [name, m] : convs) {
    m->weight_bits = bits_for(m);
    ++s.weight_layers;
  }
  for (auto& [name, m] : linears) {
    m->weight_bits = bits_for(m);
    ++s.weight_layers;
  }
  for (auto& [name, a] : modules_of<QActImpl>(model)) {
    a->bits = c.a_bits;
    a->tracker = RangeTracker(c.tracker, c.beta);
    a->calibrating = c.a_bits < 32;
    ++s.activation_layers;
  }
  return s;
}

void set_calibration(torch::nn::Module& model, bool on) {
  for (auto& [name, a] : modules_of<QActImpl>(model)) a->calibrating = on && a->bits < 32;
}

int64_t calibration_updates(torch::nn::Module& model) {
  auto acts = modules_of<QActImpl>(model);
  return acts.empty() ? 0 : acts.front().second->tracker.updates();
}

}  // namespace dfq
