#include "methods/method.h"

#include "models/zoo.h"

namespace dfq {

Net RunContext::make_student() const {
  Net s = clone_model(teacher);
  quantize_model(*s, quant);
  s->to(device);
  s->eval();
  for (auto& p : s->parameters()) p.set_requires_grad(true);
  return s;
}

void MemoryLogger::curve(int64_t step, const Values& values) {
  for (const auto& [k, v] : values) curves[k].emplace_back(step, v);
}

}  // namespace dfq
