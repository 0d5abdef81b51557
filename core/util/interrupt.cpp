#include "core/util/interrupt.h"

#include <signal.h>

#include <atomic>

namespace dfq {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_drain{false};

void on_drain(int) { g_drain.store(true); }

void on_signal(int sig) {
  if (g_stop.load() && sig == SIGINT) {
    signal(SIGINT, SIG_DFL);
    raise(SIGINT);
  }
  g_stop.store(true);
}

}  // namespace

void request_stop() { g_stop.store(true); }
bool stop_requested() { return g_stop.load(); }
void clear_stop() { g_stop.store(false); }

void request_drain() { g_drain.store(true); }
bool drain_requested() { return g_drain.load(); }
void clear_drain() { g_drain.store(false); }

void throw_if_stopped() {
  if (g_stop.load()) throw InterruptedError("stopped by a signal");
}

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  struct sigaction drain {};
  drain.sa_handler = on_drain;
  sigemptyset(&drain.sa_mask);
  sigaction(SIGUSR1, &drain, nullptr);
}

}  // namespace dfq
