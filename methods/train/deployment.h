// What quantization buys. Two parts:
// - log_deployment_metrics, on the final student of every run, inside the run: weight bytes
//   (fp32 and packed at the student's bit-width), the packed format's size, the training
//   process's peak RSS, the int8 model's test top-1 (int8_top1) and how many of its
//   quantization points are on the student's grid (int8_exact_points of int8_points). None
//   of these depends on what else runs on the machine.
// - measure_latencies: latency (median, p95, coefficient of variation) of the float teacher,
//   the fake-quantized student and its int8 lowering at batch 1 and 64, with how busy the
//   machine was. It runs where nothing else trains: after a lone `dfq run`, in a sweep's
//   measurement phase after its training cells, or in `dfq measure` (apps/measure.h).
#pragma once
#include <map>
#include <string>

#include "methods/method.h"

namespace dfq {

// The student (eval mode, ranges frozen) lowered to int8 kernels, or nullptr: no lowering
// for this architecture, or a float activation (a-bits 32) with no range to export.
std::unique_ptr<Int8Model> lower_to_int8(Net student, const DatasetInfo& info, Int8Options& io);

// Sets ctx.int8 (the lowering, or null) for a later measure_latencies.
void log_deployment_metrics(RunContext& ctx);

// A latency is marked noisy (metric latency_noisy = 1) when other processes used more than
// kNoisyOtherLoad cores' worth of CPU time just before or just after it was taken, or when
// one of its figures of at least kNoisyMinMs varies by more than kNoisyCv (standard deviation
// / mean of the calls). Sub-millisecond calls (batch 1 of a small net) vary by 10-30 % on an
// idle machine (timer and scheduler granularity), so their CV is recorded but not judged.
constexpr double kNoisyOtherLoad = 0.5;
constexpr double kNoisyCv = 0.3;
constexpr double kNoisyMinMs = 1.0;
bool latency_is_noisy(double other_load_before, double other_load_after, double max_cv);

// latency_ms_p50_/p95_/cv_/reps_<fp32|fakequant|int8>_b<1|64>, latency_other_load (the larger
// of the two samples, cores), latency_noisy (0 or 1) and latency_threads. Every model runs on
// the CPU (int8 kernels exist only there); `int8` may be null (no lowering).
std::map<std::string, double> measure_latencies(Net teacher, Net student, Int8Model* int8, const DatasetInfo& info);

}  // namespace dfq
