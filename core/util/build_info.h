// What this binary is: the commit it was built from (not the checkout it later runs in),
// the build type, LibTorch's version and whether it has CUDA. `dfq --version` prints it,
// and every run records build_commit.
#pragma once
#include <string>

namespace dfq {

// The commit the binary was built from, "+dirty" appended when the tree had local changes;
// "unknown" outside a git checkout.
std::string build_commit();
// Several lines: dfqbench, commit, build type, LibTorch, CUDA.
std::string version_text();

}  // namespace dfq
