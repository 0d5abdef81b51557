#include "core/util/device.h"

#include <fmt/format.h>
#include <torch/cuda.h>

#include <cstdlib>

#include "core/util/error.h"

namespace dfq {

bool built_with_cuda() {
#ifdef DFQ_WITH_CUDA
  return true;
#else
  return false;
#endif
}

namespace {

// The N of "cuda:N" (0 for "cuda"), -1 for "cpu" and "auto"; throws on anything else.
int64_t cuda_index(const std::string& name) {
  if (name == "cpu" || name == "auto") return -1;
  if (name == "cuda") return 0;
  const std::string prefix = "cuda:";
  const std::string digits = name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : "";
  if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos)
    throw InvalidInputError(fmt::format("device '{}' is not valid; use cpu, cuda, cuda:N or auto", name));
  return std::stoll(digits);
}

}  // namespace

void check_device_name(const std::string& name) { cuda_index(name); }

torch::Device parse_device(const std::string& name) {
  const int64_t index = cuda_index(name);
  if (name == "cpu") return torch::kCPU;
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (!built_with_cuda())
    throw InvalidInputError(fmt::format(
        "device '{}': this dfq was built against a LibTorch without CUDA; build against a CUDA LibTorch "
        "(make build TORCH_DIR=..., README 'Paper scale') or use --device cpu",
        name));
  const auto count = static_cast<int64_t>(torch::cuda::device_count());
  if (count == 0)
    throw InvalidInputError(fmt::format(
        "device '{}': no CUDA GPU is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES) or use --device cpu", name));
  if (index >= count)
    throw InvalidInputError(fmt::format("device '{}': only {} CUDA GPU(s) visible (cuda:0..cuda:{})", name, count,
                                        count - 1));
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

std::string device_name(const torch::Device& device) {
  if (device.is_cpu()) return "cpu";
  return fmt::format("cuda:{}", device.has_index() ? device.index() : 0);
}

std::string configure_determinism(const torch::Device& device) {
  if (device.is_cpu()) return "";
  // cuBLAS reads this when its first handle is made: deterministic reductions need a fixed
  // workspace (CUDA's documentation on cuBLAS reproducibility).
  setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", 0);
  auto& context = at::globalContext();
  context.setBenchmarkCuDNN(false);
  context.setDeterministicCuDNN(true);
  context.setDeterministicAlgorithms(true, /*warn_only=*/true);
  return "deterministic algorithms requested (cuDNN deterministic, no benchmark search; an operation with no "
         "deterministic kernel warns and runs anyway)";
}

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.has_index() ? device.index() : -1);
}

torch::Tensor randn_on(at::IntArrayRef size, const torch::Device& device) { return torch::randn(size).to(device); }

torch::Tensor rand_on(at::IntArrayRef size, const torch::Device& device) { return torch::rand(size).to(device); }

torch::Tensor randint_on(int64_t low, int64_t high, at::IntArrayRef size, const torch::Device& device) {
  return torch::randint(low, high, size, torch::kInt64).to(device);
}

}  // namespace dfq
