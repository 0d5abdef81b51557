// The explicit list of methods, in report order (no static self-registration: objects in a
// static library can be dropped by the linker and registration order is unspecified).
#pragma once
#include <vector>

#include "methods/method.h"

namespace dfq {

const std::vector<MethodDescriptor>& method_registry();
// Throws InvalidInputError listing the valid names.
const MethodDescriptor& find_method(const std::string& name);

}  // namespace dfq
