// What quantization buys, measured on the final student of every run: weight bytes (fp32
// and packed at the student's bit-width), the packed format's size, peak RSS, latency
// (median, p95) of the float teacher, the fake-quantized student and the student lowered
// to int8 kernels, at batch 1 and 64; the int8 model's test top-1 (int8_top1) and how many
// of its quantization points are on the student's grid (int8_exact_points of int8_points).
#pragma once
#include "methods/method.h"

namespace dfq {

void log_deployment_metrics(RunContext& ctx);

}  // namespace dfq
