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
// Throws InterruptedError when a stop was requested.
void throw_if_stopped();
// SIGINT / SIGTERM request a stop; a second SIGINT ends the process at once.
void install_stop_handlers();

}  // namespace dfq
