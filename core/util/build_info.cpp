#include "core/util/build_info.h"

#include <fmt/format.h>
#include <torch/version.h>

#include "dfq_build_stamp.h"  // generated: DFQ_BUILD_COMMIT, DFQ_BUILD_DIRTY (cmake/build_info.cmake)
#include "core/util/device.h"

namespace dfq {

std::string build_commit() { return std::string(DFQ_BUILD_COMMIT) + (DFQ_BUILD_DIRTY ? "+dirty" : ""); }

std::string version_text() {
  return fmt::format("dfqbench {}\ncommit {}\nbuild {}\nLibTorch {}\nCUDA {}", DFQ_VERSION, build_commit(), DFQ_BUILD_TYPE,
                     TORCH_VERSION, built_with_cuda() ? "yes" : "no (CPU only)");
}

}  // namespace dfq
