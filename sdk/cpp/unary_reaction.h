// Unary handlers on gRPC's callback API that can neither hang nor crash the caller: an
// exception escaping a reaction is swallowed by gRPC and leaves the caller waiting until its
// deadline, so every exception becomes INTERNAL here.
#pragma once

#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>
#include <grpcpp/support/status.h>

namespace plughost::sdk {

// The status of a handler that threw instead of answering.
inline grpc::Status StatusFromException(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return grpc::Status(grpc::StatusCode::INTERNAL, std::string("unexpected error: ") + e.what());
  } catch (...) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "unexpected error");
  }
}

// Answers a unary call inline: `body` returns the call's grpc::Status (having filled the
// response). It runs on gRPC's callback thread, so it must not block.
template <typename Body>
grpc::ServerUnaryReactor* ReactUnary(grpc::CallbackServerContext* context, Body&& body) {
  grpc::Status status;
  try {
    status = std::forward<Body>(body)();
  } catch (...) {
    status = StatusFromException(std::current_exception());
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

namespace internal {

// What a UnaryReply and the call share. The first answer wins, whether it is the reply or the
// caller's cancellation; the response is written only while the call still exists. An answer
// given before the handler returns is finished by the handler with gRPC's default reactor (the
// common, synchronous case costs no reactor of ours); a later one through a DeferredReactor.
template <typename Response>
class ReplySlot {
 public:
  explicit ReplySlot(Response* response) : response_(response) {}

  void Finish(const grpc::Status& status, Response* value) {
    grpc::ServerUnaryReactor* reactor = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (finished_) return;
      finished_ = true;
      if (value != nullptr && status.ok()) *response_ = std::move(*value);
      if (reactor_ == nullptr) {
        early_answer_ = status;  // the handler has not returned yet: it finishes the call
        return;
      }
      reactor = reactor_;
    }
    // Outside the lock: Finish may run OnDone (which deletes the reactor) on this thread.
    reactor->Finish(status);
  }

  // The answer given so far, if any (only before Bind).
  std::optional<grpc::Status> EarlyAnswer() {
    std::lock_guard lock(mutex_);
    return early_answer_;
  }

  // Later answers finish through `reactor`, unless one came meanwhile: then it is returned and
  // `reactor` is left unused.
  std::optional<grpc::Status> BindUnlessAnswered(grpc::ServerUnaryReactor* reactor) {
    std::lock_guard lock(mutex_);
    if (!early_answer_) reactor_ = reactor;
    return early_answer_;
  }

 private:
  std::mutex mutex_;
  bool finished_ = false;
  std::optional<grpc::Status> early_answer_;
  grpc::ServerUnaryReactor* reactor_ = nullptr;
  Response* response_;
};

template <typename Response>
class DeferredReactor final : public grpc::ServerUnaryReactor {
 public:
  explicit DeferredReactor(std::shared_ptr<ReplySlot<Response>> slot) : slot_(std::move(slot)) {}
  // The caller gave up (deadline, cancellation, server shutdown): end the call now; a reply
  // that comes later is dropped.
  void OnCancel() override {
    auto slot = slot_;
    slot->Finish(grpc::Status::CANCELLED, nullptr);
  }
  void OnDone() override { delete this; }

 private:
  std::shared_ptr<ReplySlot<Response>> slot_;
};

}  // namespace internal

// The answer to a unary call, given at once or later from any thread: for components whose
// work is not instant (their own I/O threads, a client library with callbacks). Copyable; the
// first call wins and later calls do nothing. A call nobody answers ends when its caller gives
// up (deadline, cancellation, server shutdown).
template <typename Response>
class UnaryReply {
 public:
  explicit UnaryReply(std::shared_ptr<internal::ReplySlot<Response>> slot)
      : slot_(std::move(slot)) {}

  void operator()(const grpc::Status& status, Response response = Response()) const {
    slot_->Finish(status, &response);
  }

 private:
  std::shared_ptr<internal::ReplySlot<Response>> slot_;
};

// Starts a unary call answered through a UnaryReply: `start(reply)` must not block; it may
// answer at once or hand `reply` to another thread. An exception from `start` answers INTERNAL.
template <typename Response, typename Start>
grpc::ServerUnaryReactor* ReactLater(grpc::CallbackServerContext* context, Response* response,
                                     Start&& start) {
  auto slot = std::make_shared<internal::ReplySlot<Response>>(response);
  const UnaryReply<Response> reply(slot);
  try {
    std::forward<Start>(start)(reply);
  } catch (...) {
    reply(StatusFromException(std::current_exception()));
  }
  std::optional<grpc::Status> answer = slot->EarlyAnswer();
  if (!answer) {
    auto* deferred = new internal::DeferredReactor<Response>(slot);
    answer = slot->BindUnlessAnswered(deferred);
    if (!answer) return deferred;
    delete deferred;  // never handed to gRPC
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(*answer);
  return reactor;
}

}  // namespace plughost::sdk
