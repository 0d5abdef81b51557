// Output file names built from text that may come from a shared store or a suite file:
// only a fixed alphabet reaches the file system, so no such text can point outside its folder.
#pragma once
#include <string>

namespace dfq {

// `text` with every character outside [A-Za-z0-9._-] replaced by '_', and a leading '.'
// (".", "..", hidden files) replaced too; "_" for an empty text.
std::string safe_component(const std::string& text);

// Whether `name` is already a safe component (suite names must be: they name folders).
bool is_safe_component(const std::string& name);

}  // namespace dfq
