// rvkit: clean shutdown on SIGINT/SIGTERM and quiet exit on a closed pipe.
#pragma once
#include <atomic>
#include <thread>
#include <utility>

namespace rvkit {

// Installs SIGINT/SIGTERM handlers (without SA_RESTART, so blocking reads and writes
// in the main thread return EINTR) and ignores SIGPIPE (writes then fail with EPIPE).
void install_signal_handlers();
// True once SIGINT or SIGTERM arrived, or request_stop() was called.
bool stop_requested();
void request_stop();
// The signal that asked us to stop (0 if none).
int stop_signal();

// Starts a worker thread with SIGINT/SIGTERM blocked, so signals always reach the main thread.
template <class F>
std::thread start_worker(F&& f);

}  // namespace rvkit

#include <csignal>
#include <pthread.h>
namespace rvkit {
template <class F>
std::thread start_worker(F&& f) {
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  std::thread t(std::forward<F>(f));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return t;
}
}  // namespace rvkit
