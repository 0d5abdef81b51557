// One wording for an unknown key everywhere (suite files, --set, gate references): the
// closest valid key when the unknown one is a likely typo, then every valid key, sorted.
#include <gtest/gtest.h>

#include "core/util/unknown_key.h"

namespace dfq {
namespace {

TEST(UnknownKey, EditDistanceCountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("atol", "atol"), 0u);
  EXPECT_EQ(edit_distance("atoll", "atol"), 1u);     // a deletion
  EXPECT_EQ(edit_distance("epohcs", "epochs"), 2u);  // two substitutions (a swap)
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "seed"), 4u);
}

TEST(UnknownKey, SuggestsTheClosestKeyOnlyForALikelyTypo) {
  const std::vector<std::string> keys = {"seeds", "bits", "methods", "model", "dataset"};
  EXPECT_EQ(unknown_key_message("modle", keys),
            "unknown key 'modle' (did you mean 'model'?); valid keys: bits, dataset, methods, model, seeds");
  EXPECT_EQ(unknown_key_message("seed", keys),
            "unknown key 'seed' (did you mean 'seeds'?); valid keys: bits, dataset, methods, model, seeds");
  // Far from every key: no suggestion.
  EXPECT_EQ(unknown_key_message("tolerance", keys), "unknown key 'tolerance'; valid keys: bits, dataset, methods, model, seeds");
  // Two edits of a four-letter key make another word, not a typo.
  EXPECT_EQ(unknown_key_message("lr", {"lr_q", "on"}), "unknown key 'lr'; valid keys: lr_q, on");
  // A repeated valid key is listed once.
  EXPECT_EQ(unknown_key_message("x", {"b", "a", "b"}), "unknown key 'x'; valid keys: a, b");
}

}  // namespace
}  // namespace dfq
