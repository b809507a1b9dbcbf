#include "wrappers/pubsub/grpc_pubsub.h"

#include <grpcpp/alarm.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <utility>

#include "host/common/log.h"
#include "wrappers/common/control_calls.h"
#include "wrappers/common/unary_call.h"

namespace plughost {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kFirstReopenDelay = std::chrono::milliseconds(100);
constexpr auto kMaxReopenDelay = std::chrono::milliseconds(5000);
// A stream that lived this long was healthy: the next failure starts the backoff over.
constexpr auto kHealthyStreamAge = std::chrono::seconds(5);
// How long closing a subscription waits for the component to read the last acks and end the
// stream before cancelling it (then those acks are lost and the messages come again).
constexpr auto kGracefulCloseTimeout = std::chrono::milliseconds(500);
// Messages one stream may have with the host, unacked, before it stops reading more.
constexpr int kMaxUnacked = 32;

class TopicSubscription;

// What the acks of one stream (and Close) reach, outliving the stream's reactor. Guarded by
// `mutex`, except `context`, which gRPC makes safe to cancel from any thread.
struct StreamState {
  grpc::ClientContext context;
  std::mutex mutex;
  grpc::ClientBidiReactor<pubsubpb::PullMessagesRequest, pubsubpb::PullMessagesResponse>* reactor =
      nullptr;  // null once the reactor may no longer start operations
  std::deque<pubsubpb::PullMessagesRequest> outbox;  // front is being written while `writing`
  bool writing = false;
  bool reading = false;
  bool finishing = false;  // the stream failed or was cancelled: no new operations
  int unacked = 0;
  // Closing gracefully: the acks queued go out, then a half-close, and the component ends the
  // stream having read every ack; later acks are dropped (the component redelivers).
  bool closing = false;
  bool writes_done = false;  // the half-close has been started
  bool ended = false;        // OnDone has run
  std::condition_variable ended_changed;
};

// One PullMessages stream, from its first write to OnDone (which deletes it). A hold keeps
// OnDone away while acks may still start writes; it is removed once the stream is finishing
// and no write is in flight.
class PullStream : public grpc::ClientBidiReactor<pubsubpb::PullMessagesRequest,
                                                  pubsubpb::PullMessagesResponse> {
 public:
  PullStream(std::shared_ptr<TopicSubscription> owner, const std::string& instance_name)
      : owner_(std::move(owner)), state_(std::make_shared<StreamState>()) {
    state_->context.AddMetadata(kInstanceHeader, instance_name);
  }

  const std::shared_ptr<StreamState>& state() const { return state_; }

  void Start(pubsubpb::PubSub::Stub& stub, const pubsubpb::Topic& topic);

  // Ends the stream; safe from any thread, before or after Start, and after the reactor is
  // gone. Call it with no lock held: gRPC may run reactions inline.
  static void Cancel(const std::shared_ptr<StreamState>& state) {
    state->context.TryCancel();
    grpc::ClientBidiReactor<pubsubpb::PullMessagesRequest, pubsubpb::PullMessagesResponse>*
        release = nullptr;
    {
      std::lock_guard lock(state->mutex);
      // No read in flight would ever notice the cancellation: finish here.
      if (!state->reading && !state->finishing) {
        state->finishing = true;
        if (!state->writing) release = std::exchange(state->reactor, nullptr);
      }
    }
    // Alive: its hold is only removed here, or by whoever nulls `reactor` first.
    if (release != nullptr) release->RemoveHold();
  }

  // Lets the acks already queued reach the component, half-closes, and waits up to `timeout` for
  // the component to end the stream. False if the stream could not be ended that way (it had
  // already ended, or the component kept it open): then Cancel. Blocks: not on a reaction of
  // this stream.
  static bool CloseGracefully(const std::shared_ptr<StreamState>& state,
                              std::chrono::milliseconds timeout);

  // Sends the ack (or rejection) of message `id`, unless the stream has ended.
  static void Ack(const std::shared_ptr<StreamState>& state, const std::string& id,
                  const grpc::Status& status);

  void OnWriteDone(bool ok) override {
    PullStream* write_next = nullptr;
    bool release = false;
    bool half_close = false;
    pubsubpb::PullMessagesRequest* next = nullptr;
    {
      std::lock_guard lock(state_->mutex);
      state_->outbox.pop_front();
      if (!ok) state_->finishing = true;  // the stream is broken; the read will say how
      if (!state_->finishing && !state_->outbox.empty()) {
        write_next = this;
        next = &state_->outbox.front();
      } else if (!state_->finishing && state_->closing && !state_->writes_done) {
        state_->writes_done = true;  // the last queued ack is out: half-close; still `writing`
        half_close = true;
      } else {
        state_->writing = false;
        if (state_->finishing && !state_->reading && state_->reactor != nullptr) {
          state_->reactor = nullptr;
          release = true;
        }
      }
    }
    if (write_next != nullptr) StartWrite(next);
    if (half_close) StartWritesDone();
    if (release) RemoveHold();
  }

  void OnWritesDoneDone(bool /*ok*/) override {
    bool release = false;
    {
      std::lock_guard lock(state_->mutex);
      state_->writing = false;
      if (state_->finishing && !state_->reading && state_->reactor != nullptr) {
        state_->reactor = nullptr;
        release = true;
      }
    }
    if (release) RemoveHold();
  }

  void OnReadDone(bool ok) override;

  void OnDone(const grpc::Status& status) override;

 private:
  std::shared_ptr<TopicSubscription> owner_;
  std::shared_ptr<StreamState> state_;
  pubsubpb::PullMessagesResponse response_;
  Clock::time_point started_ = Clock::now();
  bool received_any_ = false;
};

// One subscription: its handler, and the stream that currently serves it (re-opened with
// backoff whenever it ends before Close).
class TopicSubscription : public std::enable_shared_from_this<TopicSubscription> {
 public:
  TopicSubscription(std::shared_ptr<pubsubpb::PubSub::Stub> stub, std::string instance_name,
                    pubsubpb::Topic topic, MessageHandler handler)
      : stub_(std::move(stub)),
        instance_name_(std::move(instance_name)),
        topic_(std::move(topic)),
        handler_(std::move(handler)) {}

  void Open() {
    auto* stream = new PullStream(shared_from_this(), instance_name_);
    {
      std::lock_guard lock(mutex_);
      if (closed_) {
        delete stream;  // never started: no callbacks can come
        return;
      }
      current_ = stream->state();
    }
    // A Close() from here on cancels the context, which also stops a call not yet started.
    stream->Start(*stub_, topic_);
  }

  void Close() {
    std::unique_ptr<grpc::Alarm> timer;
    std::shared_ptr<StreamState> stream;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      closed_ = true;
      timer = std::move(reopen_timer_);
      stream = current_;
    }
    if (stream) {
      // From inside one of this subscription's deliveries the stream cannot end while we wait.
      bool graceful = delivering_here_ != this &&
                      PullStream::CloseGracefully(stream, kGracefulCloseTimeout);
      if (!graceful) PullStream::Cancel(stream);
    }
    {
      // Deliveries stop once Close returns: wait out handler calls under way (unless this is
      // one of them, closing its own subscription).
      std::unique_lock lock(mutex_);
      idle_.wait(lock, [&] { return delivering_ == 0 || delivering_here_ == this; });
    }
    // The handler's captures are released outside the lock, and only if no call is running.
    MessageHandler released;
    {
      std::lock_guard lock(mutex_);
      if (delivering_ == 0) released = std::move(handler_);
    }
    timer.reset();  // cancels a pending re-open; its callback sees ok=false
  }

  // A message from the current stream; `ack` answers it on that stream.
  void Deliver(pubsubpb::PullMessagesResponse message, StatusCallback ack) {
    {
      std::lock_guard lock(mutex_);
      if (closed_ || !handler_) {
        ack(grpc::Status(grpc::StatusCode::UNAVAILABLE, "subscription closed"));
        return;
      }
      ++delivering_;
    }
    const TopicSubscription* outer = delivering_here_;
    delivering_here_ = this;
    try {
      handler_(std::move(message), std::move(ack));
    } catch (const std::exception& e) {
      PH_LOG_ERROR("pubsub", "{}: the handler for topic {} threw: {}", instance_name_,
                   topic_.name(), e.what());
    } catch (...) {
      PH_LOG_ERROR("pubsub", "{}: the handler for topic {} threw", instance_name_, topic_.name());
    }
    delivering_here_ = outer;
    std::lock_guard lock(mutex_);
    --delivering_;
    idle_.notify_all();
  }

  void StreamEnded(const std::shared_ptr<StreamState>& stream, const grpc::Status& status,
                   bool healthy) {
    std::lock_guard lock(mutex_);
    if (current_ == stream) current_.reset();
    if (closed_) return;
    if (healthy) reopen_delay_ = kFirstReopenDelay;
    auto delay = reopen_delay_;
    reopen_delay_ = std::min<std::chrono::milliseconds>(reopen_delay_ * 2, kMaxReopenDelay);
    PH_LOG_WARN("pubsub", "{}: message stream for topic {} ended ({}: {}); re-opening in {} ms",
                instance_name_, topic_.name(), static_cast<int>(status.error_code()),
                status.error_message(), delay.count());
    reopen_timer_ = std::make_unique<grpc::Alarm>();
    reopen_timer_->Set(std::chrono::system_clock::now() + delay,
                       [weak = weak_from_this()](bool fired) {
                         if (!fired) return;
                         if (auto self = weak.lock()) self->Open();
                       });
  }

 private:
  // The subscription whose handler this thread is running, if any.
  static thread_local const TopicSubscription* delivering_here_;

  std::shared_ptr<pubsubpb::PubSub::Stub> stub_;
  const std::string instance_name_;
  const pubsubpb::Topic topic_;
  MessageHandler handler_;  // called without the lock; emptied by Close

  std::mutex mutex_;
  std::condition_variable idle_;
  bool closed_ = false;
  int delivering_ = 0;                    // handler calls under way
  std::shared_ptr<StreamState> current_;  // the stream serving now, if any
  std::unique_ptr<grpc::Alarm> reopen_timer_;
  std::chrono::milliseconds reopen_delay_ = kFirstReopenDelay;
};

thread_local const TopicSubscription* TopicSubscription::delivering_here_ = nullptr;

void PullStream::Start(pubsubpb::PubSub::Stub& stub, const pubsubpb::Topic& topic) {
  stub.async()->PullMessages(&state_->context, this);
  AddHold();
  pubsubpb::PullMessagesRequest* first = nullptr;
  {
    std::lock_guard lock(state_->mutex);
    *state_->outbox.emplace_back().mutable_topic() = topic;
    first = &state_->outbox.front();
    state_->writing = true;
    state_->reading = true;
    // Only now may others start operations or remove the hold. A Close before this point
    // cancelled the context, so the call fails at once and ends through OnReadDone.
    state_->reactor = this;
  }
  StartWrite(first);
  StartRead(&response_);
  StartCall();
}

bool PullStream::CloseGracefully(const std::shared_ptr<StreamState>& state,
                                 std::chrono::milliseconds timeout) {
  grpc::ClientBidiReactor<pubsubpb::PullMessagesRequest, pubsubpb::PullMessagesResponse>* reactor;
  {
    std::unique_lock lock(state->mutex);
    reactor = state->reactor;
    if (reactor == nullptr || state->finishing || state->closing) return state->ended;
    state->closing = true;
    if (!state->writing) {
      state->writing = true;  // the half-close counts as a write until OnWritesDoneDone
      state->writes_done = true;
    } else {
      reactor = nullptr;  // OnWriteDone half-closes once the queued acks are out
    }
  }
  if (reactor != nullptr) reactor->StartWritesDone();
  std::unique_lock lock(state->mutex);
  return state->ended_changed.wait_for(lock, timeout, [&] { return state->ended; });
}

void PullStream::Ack(const std::shared_ptr<StreamState>& state, const std::string& id,
                     const grpc::Status& status) {
  grpc::ClientBidiReactor<pubsubpb::PullMessagesRequest, pubsubpb::PullMessagesResponse>* reactor;
  pubsubpb::PullMessagesRequest* write = nullptr;
  pubsubpb::PullMessagesResponse* read = nullptr;
  {
    std::lock_guard lock(state->mutex);
    --state->unacked;
    reactor = state->reactor;
    // Redelivered on the next stream: the stream has ended, or has been half-closed.
    if (reactor == nullptr || state->finishing || state->writes_done) return;
    auto& ack = state->outbox.emplace_back();
    ack.set_ack_message_id(id);
    if (!status.ok()) {
      ack.mutable_ack_error()->set_message(status.error_message().empty() ? "rejected by the host"
                                                                          : status.error_message());
    }
    if (!state->writing) {
      state->writing = true;
      write = &state->outbox.front();
    }
    // Room again for more messages: resume reading.
    if (!state->reading && state->unacked < kMaxUnacked) {
      state->reading = true;
      read = &static_cast<PullStream*>(reactor)->response_;
    }
  }
  // Safe outside the lock: with `writing`/`reading` set, the hold stays until they complete.
  if (write != nullptr) reactor->StartWrite(write);
  if (read != nullptr) reactor->StartRead(read);
}

void PullStream::OnReadDone(bool ok) {
  if (!ok) {
    bool release = false;
    {
      std::lock_guard lock(state_->mutex);
      state_->reading = false;
      state_->finishing = true;
      if (!state_->writing && state_->reactor != nullptr) {
        state_->reactor = nullptr;
        release = true;
      }
    }
    if (release) RemoveHold();
    return;
  }
  received_any_ = true;
  pubsubpb::PullMessagesResponse message = std::move(response_);
  response_.Clear();
  bool read_more = false;
  bool release = false;
  {
    std::lock_guard lock(state_->mutex);
    ++state_->unacked;
    read_more = !state_->finishing && state_->unacked < kMaxUnacked;
    state_->reading = read_more;
    if (!read_more && state_->finishing && !state_->writing && state_->reactor != nullptr) {
      state_->reactor = nullptr;  // cancelled meanwhile; nobody else will release the hold
      release = true;
    }
  }
  if (read_more) StartRead(&response_);
  if (release) RemoveHold();
  std::string id = message.id();
  owner_->Deliver(std::move(message), [state = state_, id = std::move(id)](grpc::Status status) {
    Ack(state, id, status);
  });
}

void PullStream::OnDone(const grpc::Status& status) {
  {
    std::lock_guard lock(state_->mutex);
    state_->reactor = nullptr;
    state_->finishing = true;
    state_->ended = true;
  }
  state_->ended_changed.notify_all();
  bool healthy = received_any_ || Clock::now() - started_ >= kHealthyStreamAge;
  owner_->StreamEnded(state_, status, healthy);
  delete this;
}

class SubscriptionHandle : public Subscription {
 public:
  explicit SubscriptionHandle(std::shared_ptr<TopicSubscription> subscription)
      : subscription_(std::move(subscription)) {}
  ~SubscriptionHandle() override { Close(); }
  void Close() override { subscription_->Close(); }

 private:
  std::shared_ptr<TopicSubscription> subscription_;
};

}  // namespace

GrpcPubSub::GrpcPubSub(std::string socket_path, std::string instance_name)
    : channel_(std::move(socket_path), std::move(instance_name)),
      stub_(pubsubpb::PubSub::NewStub(channel_.channel())) {}

void GrpcPubSub::Init(const InitSpec& spec, StatusCallback done) {
  InitThenFeatures<pubsubpb::PubSubInitRequest, pubsubpb::PubSubInitResponse>(channel_, stub_.get(), spec, &features_, std::move(done));
}

std::vector<std::string> GrpcPubSub::Features() const { return features_.Get(); }

void GrpcPubSub::Ping(StatusCallback done) { PingWithin(kDefaultPingTimeout, std::move(done)); }

void GrpcPubSub::PingWithin(std::chrono::milliseconds timeout, StatusCallback done) {
  PingComponent(channel_, stub_.get(), timeout, std::move(done));
}

void GrpcPubSub::Publish(pubsubpb::PublishRequest request, const CallOptions& options,
                         StatusCallback done) {
  auto* stub = stub_.get();
  StartUnaryCall<pubsubpb::PublishRequest, pubsubpb::PublishResponse>(
      channel_.NewCallContext(options), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->Publish(ctx, req, resp, cb);
      },
      [done = std::move(done)](grpc::Status status, pubsubpb::PublishResponse) mutable {
        done(std::move(status));
      });
}

void GrpcPubSub::BulkPublish(pubsubpb::BulkPublishRequest request, const CallOptions& options,
                             Callback<pubsubpb::BulkPublishResponse> done) {
  auto* stub = stub_.get();
  StartUnaryCall<pubsubpb::BulkPublishRequest, pubsubpb::BulkPublishResponse>(
      channel_.NewCallContext(options), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->BulkPublish(ctx, req, resp, cb);
      },
      std::move(done));
}

std::unique_ptr<Subscription> GrpcPubSub::Subscribe(pubsubpb::Topic topic, MessageHandler handler) {
  auto subscription = std::make_shared<TopicSubscription>(stub_, channel_.instance_name(),
                                                          std::move(topic), std::move(handler));
  subscription->Open();
  return std::make_unique<SubscriptionHandle>(std::move(subscription));
}

}  // namespace plughost
