// The client-stream engine for components that push messages to the host and take an ack for
// each on the same bidirectional stream: pub/sub's PullMessages and the input binding's Read.
// The kinds keep only their mapping (which call to start, what the first request is, how a
// message becomes an ack). The subscription's life across attempts (opening an attempt with the
// instance header, reopening with one Backoff, the delivery gate, the exception guard) is
// StreamAttempts (stream_attempts.h), which the configuration store's server-streaming Subscribe
// uses too; this engine adds what a bidirectional stream with acks needs:
//   - the hold that keeps a stream alive while acks may still be written;
//   - the ack outbox: acks are written one at a time, in the order they were given;
//   - flow control: at most `max_unacked` messages delivered and not yet acked per stream;
//   - graceful close: queued acks go out, the host half-closes and waits a little for the
//     component to end the stream, else cancels it.
//
// Ownership, the rule for every reactor in wrappers/ (docs/lifetimes.md): an attempt's reactor
// owns itself from StartCall until OnDone, where it deletes itself. What must outlive it (acks
// handed to the app, Close) holds the shared AttemptState, never the reactor; the reactor is
// reachable through the state only while `reactor` is set, and whoever clears it removes the hold.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/support/client_callback.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/backoff.h"
#include "wrappers/common/response_limit.h"
#include "wrappers/common/stream_attempts.h"

namespace plughost {

template <typename Request, typename Response>
class AckStream : public std::enable_shared_from_this<AckStream<Request, Response>> {
 public:
  using Reactor = grpc::ClientBidiReactor<Request, Response>;
  // Writes one ack on the stream that delivered the message; dropped if that stream has ended
  // (the component then redelivers). Call it once per message, from any thread.
  using Ack = std::function<void(Request)>;
  // Called for each message, without any lock of the engine held; must not block.
  using Deliver = std::function<void(Response, Ack)>;

  // The subscription's own (instance, log lines, wait_for_ready, reopen backoff), then the
  // stream's.
  struct Options : StreamAttemptOptions {
    // Starts the call: `stub->async()->PullMessages(context, reactor)`.
    std::function<void(grpc::ClientContext*, Reactor*)> start_call;
    std::optional<Request> first_request;  // written before any ack (the topic for pub/sub)
    int max_unacked = 0;                   // 0: no bound
    // How long Close() waits for the component to end the stream after the half-close; zero
    // cancels at once (unacked messages then come again).
    std::chrono::milliseconds graceful_close{0};
    // A stream that lived this long, or delivered anything, was healthy: the backoff restarts.
    std::chrono::milliseconds healthy_age{5000};
  };

  // Opens the first stream; the returned object keeps reopening until Close().
  static std::shared_ptr<AckStream> Open(Options options, Deliver deliver) {
    std::shared_ptr<AckStream> stream(new AckStream(std::move(options), std::move(deliver)));
    stream->OpenAttempt();
    return stream;
  }

  // Ends the subscription. Blocks up to `graceful_close` and while deliveries run: never call
  // it on a reaction of this stream other than a delivery. Idempotent.
  void Close() {
    attempts_.Close([this](const std::shared_ptr<AttemptState>& state, bool inside_delivery) {
      // From inside a delivery the stream cannot end while we wait: cancel instead.
      bool graceful = options_.graceful_close.count() > 0 && !inside_delivery &&
                      CloseGracefully(state, options_.graceful_close);
      if (!graceful) Cancel(state);
    });
  }

 private:
  class Attempt;

  // What the acks of one attempt (and Close) reach, outliving the attempt's reactor.
  struct AttemptState {
    explicit AttemptState(int max_unacked) : max_unacked(max_unacked) {}
    grpc::ClientContext context;  // safe to cancel from any thread
    const int max_unacked;
    absl::Mutex mutex;
    Attempt* reactor ABSL_GUARDED_BY(mutex) = nullptr;  // null once no operation may start
    std::deque<Request> outbox ABSL_GUARDED_BY(mutex);  // front is in flight while `writing`
    bool writing ABSL_GUARDED_BY(mutex) = false;        // a write or the half-close
    bool reading ABSL_GUARDED_BY(mutex) = false;
    bool finishing ABSL_GUARDED_BY(mutex) = false;  // failed or cancelled: no new operations
    bool closing ABSL_GUARDED_BY(mutex) = false;    // Close() asked for a graceful end
    bool writes_done ABSL_GUARDED_BY(mutex) = false;
    bool ended ABSL_GUARDED_BY(mutex) = false;  // OnDone has run
    int unacked ABSL_GUARDED_BY(mutex) = 0;

    // True once the reactor may go: nothing in flight and nothing more will start. Clears
    // `reactor` so that exactly one caller removes the hold.
    Attempt* TakeReactorIfIdle() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
      if (!finishing || reading || writing) return nullptr;
      return std::exchange(reactor, nullptr);
    }
  };

  // One stream, from StartCall to OnDone (which deletes it).
  class Attempt final : public Reactor {
   public:
    Attempt(std::shared_ptr<AckStream> owner, std::shared_ptr<AttemptState> state)
        : owner_(std::move(owner)), state_(std::move(state)) {}

    void Start() {
      owner_->options_.start_call(&state_->context, this);
      this->AddHold();
      const Request* first = nullptr;
      {
        absl::MutexLock lock(&state_->mutex);
        if (owner_->options_.first_request) {
          state_->outbox.push_back(*owner_->options_.first_request);
          first = &state_->outbox.front();
          state_->writing = true;
        }
        state_->reading = true;
        // From here on others may start operations or remove the hold. A Close() before this
        // point cancelled the context, so the call fails at once and ends through OnReadDone.
        state_->reactor = this;
      }
      if (first != nullptr) this->StartWrite(first);
      this->StartRead(&incoming_);
      this->StartCall();
    }

    void OnReadDone(bool ok) override {
      Attempt* release = nullptr;
      if (!ok) {
        {
          absl::MutexLock lock(&state_->mutex);
          state_->reading = false;
          state_->finishing = true;
          release = state_->TakeReactorIfIdle();
        }
        if (release != nullptr) this->RemoveHold();
        return;
      }
      received_any_ = true;
      Response message = std::move(incoming_);
      incoming_.Clear();
      bool read_more = false;
      {
        absl::MutexLock lock(&state_->mutex);
        ++state_->unacked;
        read_more = !state_->finishing &&
                    (state_->max_unacked == 0 || state_->unacked < state_->max_unacked);
        state_->reading = read_more;
        if (!read_more) release = state_->TakeReactorIfIdle();
      }
      // Delivered before the next read starts, so messages reach the handler one after the
      // other, in the stream's order (an ordered subscription depends on it). gRPC keeps this
      // reactor alive until the reaction returns, even if the hold is gone.
      owner_->DeliverMessage(std::move(message), state_);
      if (read_more) this->StartRead(&incoming_);
      if (release != nullptr) this->RemoveHold();
    }

    void OnWriteDone(bool ok) override {
      const Request* next = nullptr;
      bool half_close = false;
      Attempt* release = nullptr;
      {
        absl::MutexLock lock(&state_->mutex);
        state_->outbox.pop_front();
        if (!ok) state_->finishing = true;  // the stream broke; the read says how
        if (!state_->finishing && !state_->outbox.empty()) {
          next = &state_->outbox.front();
        } else if (!state_->finishing && state_->closing && !state_->writes_done) {
          state_->writes_done = true;  // the last ack is out: half-close, still `writing`
          half_close = true;
        } else {
          state_->writing = false;
          release = state_->TakeReactorIfIdle();
        }
      }
      if (next != nullptr) this->StartWrite(next);
      if (half_close) this->StartWritesDone();
      if (release != nullptr) this->RemoveHold();
    }

    void OnWritesDoneDone(bool /*ok*/) override {
      Attempt* release = nullptr;
      {
        absl::MutexLock lock(&state_->mutex);
        state_->writing = false;
        release = state_->TakeReactorIfIdle();
      }
      if (release != nullptr) this->RemoveHold();
    }

    void OnDone(const grpc::Status& status) override {
      CountResponseTooLarge(status);
      {
        absl::MutexLock lock(&state_->mutex);
        state_->reactor = nullptr;
        state_->finishing = true;
        state_->ended = true;
      }
      bool healthy = received_any_ ||
                     std::chrono::steady_clock::now() - started_at_ >= owner_->options_.healthy_age;
      owner_->AttemptEnded(state_, status, healthy);
      delete this;
    }

    // Resumes reading after an ack made room; the caller set `reading` under the lock.
    void ResumeReading() { this->StartRead(&incoming_); }

   private:
    const std::shared_ptr<AckStream> owner_;
    const std::shared_ptr<AttemptState> state_;
    Response incoming_;
    const std::chrono::steady_clock::time_point started_at_ = std::chrono::steady_clock::now();
    bool received_any_ = false;  // touched by read reactions only, which never overlap
  };

  AckStream(Options options, Deliver deliver)
      : options_(std::move(options)), attempts_(options_, std::move(deliver)) {}

  void OpenAttempt();
  void DeliverMessage(Response message, const std::shared_ptr<AttemptState>& state);
  void AttemptEnded(const std::shared_ptr<AttemptState>& state, const grpc::Status& status,
                    bool healthy);

  static void SendAck(const std::shared_ptr<AttemptState>& state, Request ack);
  static void Cancel(const std::shared_ptr<AttemptState>& state);
  static bool CloseGracefully(const std::shared_ptr<AttemptState>& state,
                              std::chrono::milliseconds timeout);

  const Options options_;
  StreamAttempts<AttemptState, Deliver> attempts_;
};

template <typename Request, typename Response>
void AckStream<Request, Response>::OpenAttempt() {
  auto state = attempts_.BeginAttempt(options_.max_unacked);
  if (!state) return;  // closed
  // Outside every lock: an attempt that fails at once may end (and call back) on this thread.
  (new Attempt(this->shared_from_this(), state))->Start();
}

template <typename Request, typename Response>
void AckStream<Request, Response>::DeliverMessage(Response message,
                                                  const std::shared_ptr<AttemptState>& state) {
  Ack ack = [state](Request request) { SendAck(state, std::move(request)); };
  if (attempts_.Deliver(std::move(message), std::move(ack))) return;
  // Left unacked: the stream is closing and the component redelivers it.
  absl::MutexLock lock(&state->mutex);
  --state->unacked;
}

template <typename Request, typename Response>
void AckStream<Request, Response>::AttemptEnded(const std::shared_ptr<AttemptState>& state,
                                                const grpc::Status& status, bool healthy) {
  attempts_.AttemptEnded(state, status, healthy, [weak = this->weak_from_this()] {
    if (auto self = weak.lock()) self->OpenAttempt();
  });
}

template <typename Request, typename Response>
void AckStream<Request, Response>::SendAck(const std::shared_ptr<AttemptState>& state,
                                           Request ack) {
  Attempt* reactor = nullptr;
  const Request* write = nullptr;
  bool read = false;
  {
    absl::MutexLock lock(&state->mutex);
    --state->unacked;
    reactor = state->reactor;
    // The stream has ended or been half-closed: the component redelivers the message.
    if (reactor == nullptr || state->finishing || state->writes_done) return;
    state->outbox.push_back(std::move(ack));
    if (!state->writing) {
      state->writing = true;
      write = &state->outbox.front();
    }
    if (!state->reading && state->max_unacked > 0 && state->unacked < state->max_unacked) {
      state->reading = true;  // room again: resume reading
      read = true;
    }
  }
  // Safe outside the lock: with `writing`/`reading` set, the hold stays until they complete,
  // and deque::push_back keeps `write` where it is.
  if (write != nullptr) reactor->StartWrite(write);
  if (read) reactor->ResumeReading();
}

template <typename Request, typename Response>
void AckStream<Request, Response>::Cancel(const std::shared_ptr<AttemptState>& state) {
  state->context.TryCancel();
  Attempt* release = nullptr;
  {
    absl::MutexLock lock(&state->mutex);
    // No read in flight would notice the cancellation: finish here.
    if (!state->reading && !state->finishing) {
      state->finishing = true;
      release = state->TakeReactorIfIdle();
    }
  }
  if (release != nullptr) release->RemoveHold();
}

template <typename Request, typename Response>
bool AckStream<Request, Response>::CloseGracefully(const std::shared_ptr<AttemptState>& state,
                                                   std::chrono::milliseconds timeout) {
  Attempt* half_close = nullptr;
  {
    absl::MutexLock lock(&state->mutex);
    if (state->reactor == nullptr || state->finishing || state->closing) return state->ended;
    state->closing = true;
    if (!state->writing) {
      state->writing = true;  // the half-close counts as a write until OnWritesDoneDone
      state->writes_done = true;
      half_close = state->reactor;
    }  // else OnWriteDone half-closes once the queued acks are out
  }
  if (half_close != nullptr) half_close->StartWritesDone();
  absl::MutexLock lock(&state->mutex);
  return state->mutex.AwaitWithTimeout(absl::Condition(&state->ended), absl::FromChrono(timeout));
}

}  // namespace plughost
