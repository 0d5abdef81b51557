#include "core/util/paths.h"

namespace dfq {
namespace {

bool allowed(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

}  // namespace

std::string safe_component(const std::string& text) {
  if (text.empty()) return "_";
  std::string out = text;
  for (auto& c : out)
    if (!allowed(c)) c = '_';
  if (out.front() == '.') out.front() = '_';
  return out;
}

bool is_safe_component(const std::string& name) { return !name.empty() && safe_component(name) == name; }

}  // namespace dfq
