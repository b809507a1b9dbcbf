// The write side of a server stream on gRPC's callback API, shared by the reactor and whoever
// produces messages (any thread): one write in flight at a time, the rest queued in order, and
// the stream finished exactly once, after the write in flight completes. Used by the pub/sub
// and configuration adapters.
#pragma once

#include <deque>
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

}  // namespace plughost::sdk::internal
