// Replacing a file so that a killed writer leaves the old file or the new one, never half of one.
#pragma once
#include <functional>
#include <string>

namespace dfq {

// Creates the parent folder, lets `write` fill a temporary sibling of `path` (named after
// this process), then renames it into place. If `write` throws, the temporary is removed.
void write_atomically(const std::string& path, const std::function<void(const std::string& tmp)>& write);

// `text` into `path` atomically. A failed open or write (a full disk, a read-only folder, a
// file-size limit) throws Error in one line naming the file and the cause; nothing is left
// behind, and an existing `path` is untouched.
void write_text_atomically(const std::string& path, const std::string& text);

// Throws Error naming `path` and the system's reason when `out` is not good (after a flush).
void check_written(std::ostream& out, const std::string& path);

}  // namespace dfq
