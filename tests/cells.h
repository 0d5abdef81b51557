// The cell most tests run: `method`'s tiny preset on the LeNet-5 Fashion-MNIST teacher, W4A4.
#pragma once
#include <string>

#include "apps/cell.h"

namespace dfq::testing {

inline CellRequest tiny_request(const std::string& method, int64_t seed = 0, const std::string& suite = "test") {
  CellRequest r;
  r.key.suite = suite;
  r.key.method = method;
  r.key.model = "lenet5";
  r.key.dataset = "fashion-mnist";
  r.key.w_bits = 4;
  r.key.a_bits = 4;
  r.key.seed = seed;
  r.preset = "tiny";
  return r;
}

}  // namespace dfq::testing
