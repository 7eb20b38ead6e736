#include "rvkit/core/signals.hpp"

#include <csignal>
#include <cstring>

#include <pthread.h>

namespace rvkit {
namespace {
std::atomic<int> g_stop_signal{0};
std::atomic<bool> g_stop{false};
pthread_t g_main_thread;

extern "C" void on_stop_signal(int sig) {
  g_stop_signal.store(sig);
  g_stop.store(true);
  // A library's thread (OpenCV's or libapriltag's pool) may have taken the signal: pass it
  // on so the main thread's blocking call returns EINTR too.
  if (!pthread_equal(pthread_self(), g_main_thread)) pthread_kill(g_main_thread, sig);
}
}  // namespace

void install_signal_handlers() {
  g_main_thread = pthread_self();
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR so we notice the stop
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() { return g_stop.load(std::memory_order_relaxed); }
void request_stop() { g_stop.store(true); }
int stop_signal() { return g_stop_signal.load(); }

}  // namespace rvkit
