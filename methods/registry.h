// The explicit list of methods, in report order (no static self-registration: objects in a
// static library can be dropped by the linker and registration order is unspecified).
#pragma once
#include <vector>

#include "methods/method.h"

namespace dfq {

const std::vector<MethodDescriptor>& method_registry();
// Throws InvalidInputError listing the valid names.
const MethodDescriptor& find_method(const std::string& name);

// One descriptor per method file.
MethodDescriptor noise_method();
MethodDescriptor realdata_method();
MethodDescriptor zeroq_method();
MethodDescriptor gdfq_method();
MethodDescriptor qimera_method();
MethodDescriptor intraq_method();
MethodDescriptor adasg_method();
MethodDescriptor adadfq_method();

}  // namespace dfq
