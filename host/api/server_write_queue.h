// The writing side of a server stream whose messages arrive from elsewhere (a component's
// deliveries, on its threads): gRPC allows one write in flight per stream, so the others wait
// here in order, and Finish waits for the write in flight. The configuration subscribe streams
// of both APIs write through it and keep only their own message mapping.
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace plughost {

// Every reactor operation happens under its own lock. An owner that decides under a lock of its
// own what to queue (and in which order) calls it with that lock held: the owner's lock first,
// this one inside, never the other way round.
// `Reactor` is a grpc::ServerWriteReactor<Message> or a grpc::ServerBidiReactor<..., Message>.
template <typename Reactor, typename Message>
class ServerWriteQueue {
 public:
  // `held`: messages queue up but none is written before Release (the first is not known yet).
  ServerWriteQueue(Reactor* reactor, bool held) : reactor_(reactor), held_(held) {}

  size_t size() const {
    absl::MutexLock lock(&mutex_);
    return pending_.size();
  }
  // Finish was asked for: the stream takes no more messages.
  bool finishing() const {
    absl::MutexLock lock(&mutex_);
    return finish_.has_value();
  }

  void Push(Message message) {
    absl::MutexLock lock(&mutex_);
    pending_.push_back(std::move(message));
    WriteNextLocked();
  }
  // Puts `first` ahead of the messages queued while held, and starts writing.
  void Release(Message first) {
    absl::MutexLock lock(&mutex_);
    pending_.push_front(std::move(first));
    held_ = false;
    WriteNextLocked();
  }
  // Ends the stream with `status` after the write in flight; queued messages are dropped. The
  // first call decides the status.
  void Finish(grpc::Status status) {
    absl::MutexLock lock(&mutex_);
    if (finish_) return;
    finish_ = std::move(status);
    pending_.clear();
    WriteNextLocked();
  }
  // From the reactor's OnWriteDone: after a good write, the next write (or the finish). Returns
  // `ok`; after a failed one the owner ends the stream.
  bool WriteDone(bool ok) {
    absl::MutexLock lock(&mutex_);
    writing_ = false;
    if (ok) WriteNextLocked();
    return ok;
  }
  // From the reactor's OnDone: it is gone, nothing more is written to it.
  void Detach() {
    absl::MutexLock lock(&mutex_);
    reactor_ = nullptr;
  }

 private:
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (reactor_ == nullptr || writing_ || finished_ || (held_ && !finish_)) return;
    if (!pending_.empty() && !finish_) {
      current_ = std::move(pending_.front());
      pending_.pop_front();
      writing_ = true;
      reactor_->StartWrite(&current_);
      return;
    }
    if (finish_) {
      finished_ = true;
      reactor_->Finish(*finish_);
    }
  }

  mutable absl::Mutex mutex_;
  Reactor* reactor_ ABSL_GUARDED_BY(mutex_);  // null once the reactor is done
  bool held_ ABSL_GUARDED_BY(mutex_);
  std::deque<Message> pending_ ABSL_GUARDED_BY(mutex_);
  Message current_ ABSL_GUARDED_BY(mutex_);  // the message being written
  bool writing_ ABSL_GUARDED_BY(mutex_) = false;
  // The status to end with once the write in flight is done.
  std::optional<grpc::Status> finish_ ABSL_GUARDED_BY(mutex_);
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace plughost
