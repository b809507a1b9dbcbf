// The lifecycle of one client-stream subscription to a component across its stream attempts,
// the part every streaming kind shares whatever the stream's direction: pub/sub's PullMessages
// and the input binding's Read (through AckStream, ack_stream.h) and the configuration store's
// Subscribe. It owns:
//   - opening an attempt: its ClientContext carries the instance header (and wait_for_ready), and
//     the attempt is published as the current one in the same critical section that checks for
//     Close, so a Close after that point reaches it and a Close before it means no attempt;
//   - reopening after an attempt ends while the subscription is open: one Backoff and an alarm
//     that reaches the owner only through a weak_ptr;
//   - the delivery gate: deliveries are counted; once Close() returns no delivery runs (except
//     the one that called Close, which it does not wait for) and the handler is released;
//   - the exception guard: a handler that throws is logged, never let into gRPC.
// The kind keeps its stream: the reactor, what its first message means, how Close ends an attempt.
//
// `AttemptState` is what outlives an attempt's reactor (docs/lifetimes.md); it has a
// `grpc::ClientContext context` member, set up here before the call starts.
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/backoff.h"
#include "host/common/log.h"
#include "wrappers/common/component_channel.h"

namespace plughost {

namespace stream_attempts_internal {
// The subscription whose delivery this thread is running, if any: Close() from inside a
// delivery must not wait for that delivery to end.
inline thread_local const void* delivering_on_this_thread = nullptr;
}  // namespace stream_attempts_internal

// What StreamAttempts needs to know of a subscription; AckStream's options extend it.
struct StreamAttemptOptions {
  std::string instance_name;  // sent as the instance header on every attempt
  std::string log_area;       // "pubsub", "bindings", "configuration"
  std::string description;    // in log lines: "message stream for topic orders"
  // Wait for a restarting component instead of failing the attempt at once.
  bool wait_for_ready = false;
  Backoff::Options reopen_backoff{};
};

template <typename AttemptState, typename Handler>
class StreamAttempts {
 public:
  using Options = StreamAttemptOptions;

  StreamAttempts(Options options, Handler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        backoff_(options_.reopen_backoff) {}

  const Options& options() const { return options_; }

  // A new attempt's state (built from `args`), published as the current attempt; null once
  // Close() has run. The caller then starts the call on `state->context`, outside every lock:
  // a Close() from now on cancels that context, so the call fails at once.
  template <typename... Args>
  std::shared_ptr<AttemptState> BeginAttempt(Args&&... args) {
    auto state = std::make_shared<AttemptState>(std::forward<Args>(args)...);
    state->context.AddMetadata(kInstanceHeader, options_.instance_name);
    if (options_.wait_for_ready) state->context.set_wait_for_ready(true);
    absl::MutexLock lock(&mutex_);
    if (closed_) return nullptr;
    current_ = state;
    return state;
  }

  // Runs the handler on `args` unless Close() has run; false if it did not run. Called from a
  // reaction, without any lock held; deliveries of one attempt never overlap.
  template <typename... Args>
  bool Deliver(Args&&... args) {
    {
      absl::MutexLock lock(&mutex_);
      if (closed_ || !handler_) return false;
      ++delivering_;
    }
    const void* outer = stream_attempts_internal::delivering_on_this_thread;
    stream_attempts_internal::delivering_on_this_thread = this;
    Guarded([&] { handler_(std::forward<Args>(args)...); }, "handler");
    stream_attempts_internal::delivering_on_this_thread = outer;
    absl::MutexLock lock(&mutex_);
    --delivering_;
    return true;
  }

  // Runs `call` (user code) and logs what it throws instead of letting it into gRPC.
  template <typename Call>
  void Guarded(Call&& call, const char* what) const {
    try {
      call();
    } catch (const std::exception& e) {
      PH_LOG_ERROR(options_.log_area, "{}: the {} of the {} threw: {}", options_.instance_name,
                   what, options_.description, e.what());
    } catch (...) {
      PH_LOG_ERROR(options_.log_area, "{}: the {} of the {} threw", options_.instance_name, what,
                   options_.description);
    }
  }

  // The attempt `state` has ended (its OnDone). Unless Close() has run, `open_next` runs after
  // the backoff, which restarts first if the attempt was `healthy`. `open_next` must reach its
  // owner through a weak_ptr: the alarm may fire after the subscription is gone.
  void AttemptEnded(const std::shared_ptr<AttemptState>& state, const grpc::Status& status,
                    bool healthy, std::function<void()> open_next) {
    absl::MutexLock lock(&mutex_);
    if (current_ == state) current_.reset();
    if (closed_) return;
    if (healthy) backoff_.Reset();
    auto delay = backoff_.NextDelay();
    PH_LOG_WARN(options_.log_area, "{}: {} ended ({}); re-opening in {} ms", options_.instance_name,
                options_.description,
                status.ok() ? std::string("closed by the component") : status.error_message(),
                delay.count());
    // A fresh alarm each time; replacing the previous one (already fired) is harmless.
    reopen_timer_ = std::make_unique<grpc::Alarm>();
    reopen_timer_->Set(std::chrono::system_clock::now() + delay,
                       [open_next = std::move(open_next)](bool fired) {
                         if (fired) open_next();  // not fired: cancelled by Close
                       });
  }

  // The attempt `state` has ended and the kind gives the subscription up: nothing reopens.
  void LastAttemptEnded(const std::shared_ptr<AttemptState>& state) {
    absl::MutexLock lock(&mutex_);
    if (current_ == state) current_.reset();
  }

  // Ends the subscription: no attempt opens after this, `end_attempt(state, inside_delivery)`
  // ends the current one (outside every lock), then this waits for the deliveries running
  // (except the caller's own) and releases the handler. False if Close() had run already.
  template <typename EndAttempt>
  bool Close(EndAttempt&& end_attempt) {
    std::unique_ptr<grpc::Alarm> timer;
    std::shared_ptr<AttemptState> state;
    {
      absl::MutexLock lock(&mutex_);
      if (closed_) return false;
      closed_ = true;
      timer = std::move(reopen_timer_);
      state = current_;
    }
    const bool inside_delivery = stream_attempts_internal::delivering_on_this_thread == this;
    if (state) end_attempt(state, inside_delivery);
    Handler released;  // destroyed after the lock, in case its captures call back
    {
      absl::MutexLock lock(&mutex_);
      // absl evaluates conditions on other threads: the thread-local was read above.
      if (!inside_delivery) {
        mutex_.Await(absl::Condition(
            +[](int* delivering) { return *delivering == 0; }, &delivering_));
      }
      if (delivering_ == 0) released = std::move(handler_);
    }
    timer.reset();  // cancels a pending reopen; its callback sees fired=false
    return true;
  }

 private:
  const Options options_;
  // Read without the lock by deliveries, which entered under it (`delivering_`); emptied by
  // Close only when none runs, so the handler's captures are not released under a delivery.
  Handler handler_;

  absl::Mutex mutex_;
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
  int delivering_ ABSL_GUARDED_BY(mutex_) = 0;
  std::shared_ptr<AttemptState> current_ ABSL_GUARDED_BY(mutex_);
  std::unique_ptr<grpc::Alarm> reopen_timer_ ABSL_GUARDED_BY(mutex_);
  Backoff backoff_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace plughost
