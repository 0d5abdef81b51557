// Cooperative interruption: a signal handler requests a stop, long loops check it
// between iterations and unwind with InterruptedError so the run is recorded as such.
#pragma once
#include "core/util/error.h"

namespace dfq {

class InterruptedError : public Error {
 public:
  using Error::Error;
};

void request_stop();
bool stop_requested();
void clear_stop();
// A drain: finish the work under way, start nothing new (SIGUSR1 to a sweep: its running
// cells end normally, no further cell starts, so a chunk of a long sweep ends without losing
// a cell). Work that is not a sweep ignores it.
void request_drain();
bool drain_requested();
void clear_drain();
// Throws InterruptedError when a stop was requested.
void throw_if_stopped();
// SIGINT / SIGTERM request a stop; a second SIGINT ends the process at once. SIGUSR1
// requests a drain.
void install_stop_handlers();

}  // namespace dfq
