// The write side of a server stream on gRPC's callback API, shared by the reactor and whoever
// produces messages (any thread): one write in flight at a time, the rest queued in order, and
// the stream finished exactly once, after the write in flight completes. Used by the pub/sub
// and configuration adapters.
#pragma once

#include <deque>
#include <memory>
#include <utility>

#include <grpcpp/support/status.h>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace plughost::sdk::internal {

// `Reactor` has StartWrite(const Response*) and Finish(grpc::Status) (a ServerWriteReactor or a
// ServerBidiReactor). The reactor is only touched while the outbox has not finished it, so it
// is never used after its OnDone.
template <typename Reactor, typename Response>
class StreamOutbox {
 public:
  explicit StreamOutbox(Reactor* reactor) : reactor_(reactor) {}

  // Queues `message`; false (dropped) once the stream is closing.
  bool Send(Response message) {
    const Response* write = nullptr;
    {
      absl::MutexLock lock(&mutex_);
      if (closing_) return false;
      queue_.push_back(std::move(message));
      if (writing_) return true;
      writing_ = true;
      write = &queue_.front();
    }
    // The stream cannot finish while `writing_` is set, so the reactor is alive here.
    reactor_->StartWrite(write);
    return true;
  }

  // From the reactor's OnWriteDone: starts the next write, or finishes a closing stream.
  void WriteDone(bool ok) {
    const Response* next = nullptr;
    bool finish = false;
    grpc::Status status;
    {
      absl::MutexLock lock(&mutex_);
      queue_.pop_front();
      if (!ok && !closing_) {
        closing_ = true;  // the peer went away: nothing more can be written
        status_ = grpc::Status::CANCELLED;
      }
      if (!closing_ && !queue_.empty()) {
        next = &queue_.front();
      } else {
        writing_ = false;
        finish = closing_ && !finished_;
        if (finish) {
          finished_ = true;
          status = status_;
        }
      }
    }
    if (next != nullptr) {
      reactor_->StartWrite(next);
    } else if (finish) {
      reactor_->Finish(status);
    }
  }

  // Stops taking messages and finishes with `status` once the write in flight (if any)
  // completes; messages still queued are dropped. True on the first call.
  bool Close(grpc::Status status) {
    bool finish_now = false;
    {
      absl::MutexLock lock(&mutex_);
      if (closing_) return false;
      closing_ = true;
      status_ = status;
      while (queue_.size() > (writing_ ? 1u : 0u)) queue_.pop_back();
      if (!writing_) {
        finished_ = true;
        finish_now = true;
      }
    }
    // Last: Finish may run OnDone (deleting the reactor) on this very thread.
    if (finish_now) reactor_->Finish(status);
    return true;
  }

  bool closing() {
    absl::MutexLock lock(&mutex_);
    return closing_;
  }

 private:
  Reactor* reactor_;
  absl::Mutex mutex_;
  std::deque<Response> queue_ ABSL_GUARDED_BY(mutex_);  // front is in flight while writing_
  bool writing_ ABSL_GUARDED_BY(mutex_) = false;
  bool closing_ ABSL_GUARDED_BY(mutex_) = false;
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mutex_);
};

// Runs `task` on the component's own workers (see WorkerPool), or here when it has none.
template <typename Component, typename Task>
void RunFor(Component& component, Task task) {
  if (auto* workers = component.workers()) {
    workers->Post(std::move(task));
  } else {
    task();
  }
}

// What a delivering stream's reactor, the author's subscription and the workers share, as the
// author's stream interface (`AuthorStream`: Send, End, ended): it outlives the reactor, so the
// author may keep it as long as it likes. `Subscription` is what the author returned (Close()).
template <typename Reactor, typename Message, typename AuthorStream, typename Subscription>
class SharedStream final : public AuthorStream {
 public:
  using Outbox = StreamOutbox<Reactor, Message>;
  explicit SharedStream(Reactor* reactor) : outbox_(reactor) {}

  bool Send(Message message) override { return outbox_.Send(std::move(message)); }
  void End(grpc::Status status) override { Stop(std::move(status)); }
  bool ended() override { return outbox_.closing(); }
  Outbox& outbox() { return outbox_; }

  // The subscription is in place; false (and it is closed) when the stream ended meanwhile.
  bool Attach(std::shared_ptr<Subscription> subscription) {
    {
      absl::MutexLock lock(&mutex_);
      if (!stopped_) {
        subscription_ = std::move(subscription);
        return true;
      }
    }
    subscription->Close();
    return false;
  }
  std::shared_ptr<Subscription> subscription() {
    absl::MutexLock lock(&mutex_);
    return subscription_;
  }
  bool stopped() {
    absl::MutexLock lock(&mutex_);
    return stopped_;
  }

  // Ends the stream once; the subscription (if any) is closed through `close`, so that the
  // caller picks the thread. May finish the reactor: the caller must not touch it afterwards.
  template <typename CloseSubscription>
  void Stop(grpc::Status status, CloseSubscription close) {
    std::shared_ptr<Subscription> subscription;
    {
      absl::MutexLock lock(&mutex_);
      if (stopped_) return;
      stopped_ = true;
      subscription = std::move(subscription_);
    }
    if (subscription) close(std::move(subscription));
    outbox_.Close(std::move(status));
  }
  void Stop(grpc::Status status) {
    Stop(std::move(status),
         [](std::shared_ptr<Subscription> subscription) { subscription->Close(); });
  }

 private:
  Outbox outbox_;
  absl::Mutex mutex_;
  bool stopped_ ABSL_GUARDED_BY(mutex_) = false;
  std::shared_ptr<Subscription> subscription_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace plughost::sdk::internal
