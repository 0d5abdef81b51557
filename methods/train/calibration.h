// The post-training methods (noise, zeroq without finetune): calibrate the student's
// activation ranges on `batches` inputs, evaluate once, log the final metrics.
#pragma once
#include <functional>
#include <string>

#include "methods/method.h"

namespace dfq {

// batch(i) gives the i-th calibration input (normalised images); `what` names them in
// the progress line.
void run_calibration_only(RunContext& ctx, int64_t batches, const std::function<torch::Tensor(int64_t)>& batch,
                          const std::string& what);

}  // namespace dfq
