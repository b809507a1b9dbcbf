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

namespace plughost {

// Not synchronised: its owner calls every method under the one mutex that also guards the
// owner's own state, so a message is queued and written in the order the owner decided.
// `Reactor` is a grpc::ServerWriteReactor<Message> or a grpc::ServerBidiReactor<..., Message>.
template <typename Reactor, typename Message>
class ServerWriteQueue {
 public:
  // `held`: messages queue up but none is written before Release (the first is not known yet).
  ServerWriteQueue(Reactor* reactor, bool held) : reactor_(reactor), held_(held) {}

  size_t size() const { return pending_.size(); }
  // Finish was asked for: the stream takes no more messages.
  bool finishing() const { return finish_.has_value(); }

  void Push(Message message) {
    pending_.push_back(std::move(message));
    WriteNext();
  }
  // Puts `first` ahead of the messages queued while held, and starts writing.
  void Release(Message first) {
    pending_.push_front(std::move(first));
    held_ = false;
    WriteNext();
  }
  // Ends the stream with `status` after the write in flight; queued messages are dropped. The
  // first call decides the status.
  void Finish(grpc::Status status) {
    if (finish_) return;
    finish_ = std::move(status);
    pending_.clear();
    WriteNext();
  }
  // From the reactor's OnWriteDone: after a good write, the next write (or the finish). Returns
  // `ok`; after a failed one the owner ends the stream.
  bool WriteDone(bool ok) {
    writing_ = false;
    if (ok) WriteNext();
    return ok;
  }
  // From the reactor's OnDone: it is gone, nothing more is written to it.
  void Detach() { reactor_ = nullptr; }

 private:
  void WriteNext() {
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

  Reactor* reactor_;  // null once the reactor is done
  bool held_;
  std::deque<Message> pending_;
  Message current_;  // the message being written
  bool writing_ = false;
  std::optional<grpc::Status> finish_;  // the status to end with once the write in flight is done
  bool finished_ = false;
};

}  // namespace plughost
