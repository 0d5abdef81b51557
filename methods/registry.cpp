#include "methods/registry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (in format.h before fmt 11)

#include "core/util/error.h"

namespace dfq {

// One descriptor per method file (methods/<name>.cpp).
MethodDescriptor noise_method();
MethodDescriptor realdata_method();
MethodDescriptor zeroq_method();
MethodDescriptor gdfq_method();
MethodDescriptor qimera_method();
MethodDescriptor intraq_method();
MethodDescriptor adasg_method();
MethodDescriptor adadfq_method();

const std::vector<MethodDescriptor>& method_registry() {
  static const std::vector<MethodDescriptor> methods = {
      noise_method(),
      realdata_method(),
      zeroq_method(),
      gdfq_method(),
      qimera_method(),
      intraq_method(),
      adasg_method(),
      adadfq_method(),
  };
  return methods;
}

const MethodDescriptor& find_method(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& m : method_registry()) {
    if (m.name == name) return m;
    names.push_back(m.name);
  }
  throw InvalidInputError(fmt::format("unknown method '{}'; valid: {}", name, fmt::join(names, ", ")));
}

}  // namespace dfq
