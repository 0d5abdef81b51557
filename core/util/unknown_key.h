// One wording for every "unknown key" error (suite files, --set and configurations, gate
// references): the key, the closest valid one when a typo is likely, then all valid keys.
#pragma once
#include <string>
#include <vector>

namespace dfq {

// "unknown key 'atoll' (did you mean 'atol'?); valid keys: atol, bits, ..." (valid keys sorted;
// the suggestion only within 2 edits that change less than half of the longer key).
std::string unknown_key_message(const std::string& key, std::vector<std::string> valid);

// Levenshtein distance (insertions, deletions, substitutions), for the suggestion.
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace dfq
