// Every test binary runs with the allocator set up as the programs have it (env.h).
#include "core/util/env.h"

namespace {
const bool kAllocatorConfigured = (dfq::configure_allocator(), true);
}  // namespace
