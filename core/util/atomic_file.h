// Replacing a file so that a killed writer leaves the old file or the new one, never half of one.
#pragma once
#include <functional>
#include <string>

namespace dfq {

// Creates the parent folder, lets `write` fill a temporary sibling of `path` (named after
// this process), then renames it into place. If `write` throws, the temporary is removed.
void write_atomically(const std::string& path, const std::function<void(const std::string& tmp)>& write);

}  // namespace dfq
