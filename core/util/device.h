// Where a run's tensors live: `cpu`, `cuda`, `cuda:N` or `auto` (CUDA when one is visible).
// Random draws of a run are made on the CPU generator and then moved, so a seed gives the
// same draws on every device and a CPU and a CUDA run differ only by floating-point rounding.
#pragma once
#include <torch/torch.h>

#include <string>

namespace dfq {

// Checks the spelling only (a cell may be resolved where it will not run).
void check_device_name(const std::string& name);
// Parses and checks a device name. Throws InvalidInputError with one line saying what to do
// when the name is malformed, the build has no CUDA, or no such GPU is visible.
torch::Device parse_device(const std::string& name);
// "cpu" or "cuda:N" (a bare `cuda` is written with its index).
std::string device_name(const torch::Device& device);
// Whether this build's LibTorch was built with CUDA (DFQ_WITH_CUDA, set by CMake).
bool built_with_cuda();

// On a CUDA device: requests cuDNN's deterministic algorithms, no benchmark search, and
// LibTorch's deterministic algorithms (warning on the few operations that have none).
// Returns what was requested, for the run record ("" on the CPU, which is deterministic at
// a fixed thread count).
std::string configure_determinism(const torch::Device& device);
// Waits for the device's queued work (a no-op on the CPU): for wall-clock timings.
void synchronize(const torch::Device& device);

// Draws from the seeded CPU generator, then moves the result to `device`.
torch::Tensor randn_on(at::IntArrayRef size, const torch::Device& device);
torch::Tensor rand_on(at::IntArrayRef size, const torch::Device& device);
torch::Tensor randint_on(int64_t low, int64_t high, at::IntArrayRef size, const torch::Device& device);

}  // namespace dfq
