#include "wrappers/bindings/grpc_input_binding.h"

#include <grpcpp/alarm.h>
#include <grpcpp/support/client_callback.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <exception>
#include <mutex>

#include "host/common/log.h"
#include "wrappers/common/control_calls.h"
#include "wrappers/common/unary_call.h"

namespace plughost {
namespace {

using Stub = bindingspb::InputBinding::Stub;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kFirstRetryDelay = std::chrono::milliseconds(100);
constexpr auto kMaxRetryDelay = std::chrono::milliseconds(5000);
// A stream that lived this long, or delivered anything, was healthy: the next failure starts
// the backoff over.
constexpr auto kHealthyStreamAge = std::chrono::seconds(5);

class ReadLoop;

// One attempt at the Read stream. Owned by itself (self_) until OnDone; ack callbacks handed
// to the event handler keep it alive after that, and then drop their acks.
class ReadStream final : public grpc::ClientBidiReactor<bindingspb::ReadRequest,
                                                        bindingspb::ReadResponse>,
                         public std::enable_shared_from_this<ReadStream> {
 public:
  ReadStream(std::weak_ptr<ReadLoop> loop, const std::string& instance_name)
      : loop_(std::move(loop)), instance_name_(instance_name) {
    context_.AddMetadata(kInstanceHeader, instance_name);
    // A restarting component gets the stream as soon as it listens again, instead of a fast
    // failure and a backoff.
    context_.set_wait_for_ready(true);
  }

  void Start(Stub* stub) {
    self_ = shared_from_this();
    started_at_ = SteadyClock::now();
    stub->async()->Read(&context_, this);
    // Acks are written whenever the app answers; the hold keeps the stream open for them
    // until reading has ended and no write is in flight.
    AddHold();
    StartRead(&incoming_);
    StartCall();
  }

  void Cancel() { context_.TryCancel(); }

  // Queues the ack of one event; writes are serialized, one outstanding at a time.
  void Ack(bindingspb::ReadRequest ack) {
    const bindingspb::ReadRequest* first = nullptr;
    {
      std::lock_guard lock(mutex_);
      // The stream is over: the component sees the event as unacked and may redeliver it.
      if (reads_done_) return;
      queue_.push_back(std::move(ack));
      if (!writing_) {
        writing_ = true;
        first = &queue_.front();
      }
    }
    // Outside the lock: a write may complete (and react) on this thread. deque::push_back
    // keeps references to existing elements valid, so `first` stays put meanwhile.
    if (first != nullptr) StartWrite(first);
  }

  void OnReadDone(bool ok) override;

  void OnWriteDone(bool ok) override {
    const bindingspb::ReadRequest* next = nullptr;
    bool release = false;
    {
      std::lock_guard lock(mutex_);
      queue_.pop_front();
      if (!ok) queue_.clear();  // the stream broke; later acks cannot be written either
      if (ok && !queue_.empty() && !reads_done_) {
        next = &queue_.front();
      } else {
        writing_ = false;
        release = ReleaseHoldLocked();
      }
    }
    if (next != nullptr) StartWrite(next);
    if (release) RemoveHold();
  }

  void OnDone(const grpc::Status& status) override;

 private:
  // True once, when reading has ended and no write is in flight: the hold may go.
  bool ReleaseHoldLocked() {
    if (!reads_done_ || writing_ || hold_released_) return false;
    hold_released_ = true;
    return true;
  }

  std::weak_ptr<ReadLoop> loop_;
  std::string instance_name_;
  grpc::ClientContext context_;
  bindingspb::ReadResponse incoming_;
  std::shared_ptr<ReadStream> self_;
  SteadyClock::time_point started_at_;
  bool delivered_ = false;  // touched only by the read reactions, which never overlap

  std::mutex mutex_;
  std::deque<bindingspb::ReadRequest> queue_;
  bool writing_ = false;
  bool reads_done_ = false;
  bool hold_released_ = false;
};

// The subscription: keeps one ReadStream open until closed, re-opening it after it ends.
class ReadLoop final : public std::enable_shared_from_this<ReadLoop> {
 public:
  ReadLoop(std::shared_ptr<Stub> stub, std::string instance_name, BindingEventHandler handler)
      : stub_(std::move(stub)),
        instance_name_(std::move(instance_name)),
        handler_(std::move(handler)) {}

  void Open() {
    std::shared_ptr<ReadStream> stream;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      stream = std::make_shared<ReadStream>(weak_from_this(), instance_name_);
      stream_ = stream;
    }
    // Outside the lock: a stream that fails at once may end (and call back) on this thread.
    stream->Start(stub_.get());
  }

  void Close() {
    std::shared_ptr<ReadStream> stream;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      closed_ = true;
      stream = std::move(stream_);
      if (retry_) retry_->Cancel();
    }
    if (stream) stream->Cancel();
    // Waits out a handler call in progress: no delivery starts after this returns.
    std::lock_guard deliver_lock(deliver_mutex_);
    delivery_closed_ = true;
  }

  void Deliver(bindingspb::ReadResponse event, std::shared_ptr<ReadStream> stream) {
    std::lock_guard deliver_lock(deliver_mutex_);
    if (delivery_closed_) return;
    std::string message_id = event.message_id();
    Callback<std::string> reply = [stream = std::move(stream), message_id = std::move(message_id)](
                                      grpc::Status status, std::string data) mutable {
      bindingspb::ReadRequest ack;
      ack.set_message_id(std::move(message_id));
      if (status.ok()) {
        ack.set_response_data(std::move(data));
      } else {
        ack.mutable_response_error()->set_message(status.error_message());
      }
      stream->Ack(std::move(ack));
    };
    // A throwing handler would otherwise end the stream's reaction silently.
    try {
      handler_(std::move(event), std::move(reply));
    } catch (const std::exception& e) {
      PH_LOG_ERROR("bindings", "{}: input binding event handler threw: {}", instance_name_,
                   e.what());
    } catch (...) {
      PH_LOG_ERROR("bindings", "{}: input binding event handler threw", instance_name_);
    }
  }

  void StreamEnded(const grpc::Status& status, bool healthy) {
    std::lock_guard lock(mutex_);
    stream_.reset();
    if (closed_) return;
    if (healthy) failures_ = 0;
    auto delay = std::min<std::chrono::milliseconds>(
        kMaxRetryDelay, kFirstRetryDelay * (1 << std::min(failures_, 6)));
    ++failures_;
    PH_LOG_WARN("bindings", "{}: input binding Read stream ended ({}: {}); re-opening in {} ms",
                instance_name_, static_cast<int>(status.error_code()),
                status.ok() ? "closed by the component" : status.error_message(), delay.count());
    // A fresh alarm each time; destroying the previous one (already fired) is harmless.
    retry_ = std::make_unique<grpc::Alarm>();
    retry_->Set(std::chrono::system_clock::now() + delay,
                [weak = weak_from_this()](bool fired) {
                  if (!fired) return;
                  if (auto loop = weak.lock()) loop->Open();
                });
  }

 private:
  std::shared_ptr<Stub> stub_;
  std::string instance_name_;
  BindingEventHandler handler_;

  std::mutex mutex_;
  bool closed_ = false;
  std::shared_ptr<ReadStream> stream_;
  std::unique_ptr<grpc::Alarm> retry_;
  int failures_ = 0;

  // Held while the handler runs, so Close() can promise no delivery after it returns.
  std::mutex deliver_mutex_;
  bool delivery_closed_ = false;
};

void ReadStream::OnReadDone(bool ok) {
  if (!ok) {
    bool release = false;
    {
      std::lock_guard lock(mutex_);
      reads_done_ = true;
      release = ReleaseHoldLocked();
    }
    if (release) RemoveHold();
    return;
  }
  delivered_ = true;
  bindingspb::ReadResponse event = std::move(incoming_);
  incoming_.Clear();
  if (auto loop = loop_.lock()) loop->Deliver(std::move(event), shared_from_this());
  StartRead(&incoming_);
}

void ReadStream::OnDone(const grpc::Status& status) {
  bool healthy = delivered_ || SteadyClock::now() - started_at_ >= kHealthyStreamAge;
  if (auto loop = loop_.lock()) loop->StreamEnded(status, healthy);
  // Last: may destroy this object when no ack callback still holds it.
  auto keep = std::move(self_);
}

// The handle the caller holds; closing it (or dropping it) stops the loop.
class ReadSubscription final : public Subscription {
 public:
  explicit ReadSubscription(std::shared_ptr<ReadLoop> loop) : loop_(std::move(loop)) {}
  ~ReadSubscription() override { Close(); }
  void Close() override { loop_->Close(); }

 private:
  std::shared_ptr<ReadLoop> loop_;
};

}  // namespace

GrpcInputBinding::GrpcInputBinding(std::string socket_path, std::string instance_name)
    : channel_(std::move(socket_path), std::move(instance_name)),
      stub_(bindingspb::InputBinding::NewStub(channel_.channel())) {}

void GrpcInputBinding::Init(const InitSpec& spec, StatusCallback done) {
  InitOnly<bindingspb::InputBindingInitRequest, bindingspb::InputBindingInitResponse>(
      channel_, stub_.get(), spec, std::move(done));
}

void GrpcInputBinding::Ping(StatusCallback done) { PingWithin(kDefaultPingTimeout, std::move(done)); }

void GrpcInputBinding::PingWithin(std::chrono::milliseconds timeout, StatusCallback done) {
  PingComponent(channel_, stub_.get(), timeout, std::move(done));
}

std::unique_ptr<Subscription> GrpcInputBinding::Read(BindingEventHandler handler) {
  auto loop = std::make_shared<ReadLoop>(stub_, channel_.instance_name(), std::move(handler));
  loop->Open();
  return std::make_unique<ReadSubscription>(std::move(loop));
}

}  // namespace plughost
