// One object for "stop taking new work, then wait for the work in flight" (seastar's `gate`):
// every stop-and-drain in the host (app deliveries, component streams, the API on shutdown)
// uses it instead of its own stopped flag, counter and condition variable.
//
//   if (!gate.TryEnter()) return Unavailable();   // closed: refuse new work
//   ... finish the work, possibly on another thread ...
//   gate.Leave();                                  // exactly once per successful TryEnter
//
//   gate.Close();                                  // no new entries from now on
//   bool drained = gate.WaitFor(deadline);         // true when nothing is in flight
//
// Gate::Holder is the RAII form: it enters on construction and leaves on destruction, and can
// be moved into a completion callback.
#pragma once

#include <chrono>
#include <cstdint>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace plughost {

class Gate {
 public:
  Gate() = default;
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;

  // Enters unless closed; true when the caller must Leave() once.
  bool TryEnter() {
    absl::MutexLock lock(&mutex_);
    if (closed_) return false;
    ++in_flight_;
    return true;
  }

  void Leave() {
    absl::MutexLock lock(&mutex_);
    --in_flight_;
  }

  // Refuses new entries; work already in flight goes on. Idempotent.
  void Close() {
    absl::MutexLock lock(&mutex_);
    closed_ = true;
  }

  // Waits until nothing is in flight or `timeout` passed; true when drained. Does not close.
  bool WaitFor(std::chrono::milliseconds timeout) {
    absl::MutexLock lock(&mutex_);
    auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return in_flight_ == 0; };
    return mutex_.AwaitWithTimeout(absl::Condition(&drained), absl::FromChrono(timeout));
  }

  // Close, then WaitFor.
  bool CloseAndWait(std::chrono::milliseconds timeout) {
    Close();
    return WaitFor(timeout);
  }

  bool closed() const {
    absl::MutexLock lock(&mutex_);
    return closed_;
  }
  int64_t in_flight() const {
    absl::MutexLock lock(&mutex_);
    return in_flight_;
  }

  // Holds one entry of a gate for its lifetime; empty (false) when the gate was closed.
  class Holder {
   public:
    Holder() = default;
    explicit Holder(Gate& gate) : gate_(gate.TryEnter() ? &gate : nullptr) {}
    Holder(Holder&& other) noexcept : gate_(std::exchange(other.gate_, nullptr)) {}
    Holder& operator=(Holder&& other) noexcept {
      if (this != &other) {
        Release();
        gate_ = std::exchange(other.gate_, nullptr);
      }
      return *this;
    }
    ~Holder() { Release(); }
    explicit operator bool() const { return gate_ != nullptr; }
    void Release() {
      if (gate_) std::exchange(gate_, nullptr)->Leave();
    }

   private:
    Gate* gate_ = nullptr;
  };

 private:
  mutable absl::Mutex mutex_;
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
  int64_t in_flight_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace plughost
