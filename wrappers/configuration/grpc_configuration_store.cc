#include "wrappers/configuration/grpc_configuration_store.h"

#include <grpcpp/alarm.h>
#include <grpcpp/support/client_callback.h>

#include <algorithm>
#include <chrono>
#include <exception>

#include "common/backoff.h"
#include "host/common/log.h"
#include "wrappers/common/control_calls.h"
#include "wrappers/common/response_limit.h"
#include "wrappers/common/unary_call.h"

namespace plughost {
namespace {

using configpb::Configuration;
using std::chrono::milliseconds;

// A component that accepts a Subscribe but never sends the confirming first message is treated
// as failed after this long (the stream has no deadline of its own: it lives until Close).
constexpr milliseconds kConfirmTimeout{10000};
// Reopening after the stream broke: 100 ms growing to 2 s (a configuration change is small and
// a subscriber wants it soon).
constexpr Backoff::Options kReopenBackoff{milliseconds(100), 1.6, 0.2, milliseconds(2000)};
constexpr milliseconds kUnsubscribeTimeout{5000};

class SubscribeStream;

// One subscription across its stream attempts. Shared by the handle, the current stream and
// pending alarms; whichever finishes last frees it.
class ComponentSubscription : public std::enable_shared_from_this<ComponentSubscription> {
 public:
  ComponentSubscription(ComponentChannel channel, std::shared_ptr<Configuration::Stub> stub,
                        configpb::SubscribeConfigurationRequest request,
                        ConfigurationUpdateHandler on_update, Callback<std::string> started)
      : channel_(std::move(channel)),
        stub_(std::move(stub)),
        request_(std::move(request)),
        on_update_(std::move(on_update)),
        started_(std::move(started)) {}

  void Open();
  void Close();

  // Called by the current stream.
  void OnConfirmed(SubscribeStream* stream, std::string id);
  void Deliver(configpb::SubscribeConfigurationResponse batch);
  void OnStreamEnded(SubscribeStream* stream, const grpc::Status& status, bool confirmed);

 private:
  // Sets up the next stream attempt and its confirmation timeout; the caller starts it.
  SubscribeStream* NewAttemptLocked();
  void OnConfirmTimeout(uint64_t attempt);
  void ScheduleReopenLocked(milliseconds delay);
  // Calls the `started` callback once, outside every lock.
  static void Report(Callback<std::string> started, grpc::Status status, std::string id);

  const ComponentChannel channel_;
  const std::shared_ptr<Configuration::Stub> stub_;
  const configpb::SubscribeConfigurationRequest request_;
  const ConfigurationUpdateHandler on_update_;

  std::mutex mutex_;
  // Held while on_update_ runs; Close() takes it, so no delivery starts or runs after Close().
  std::mutex delivery_mutex_;
  bool closed_ = false;
  Callback<std::string> started_;      // set until the first confirmation (or failure)
  SubscribeStream* stream_ = nullptr;  // the attempt in flight, if any
  uint64_t attempt_ = 0;
  bool confirmed_ = false;  // the current attempt sent its first message
  bool timed_out_ = false;  // the current attempt was cancelled for not confirming
  std::string id_;          // the component's id for the current attempt
  Backoff reopen_backoff_{kReopenBackoff};
  std::unique_ptr<grpc::Alarm> alarm_;  // confirmation timeout, or the delay before reopening
};

// One Subscribe call: reads until the stream ends, handing messages to the subscription.
class SubscribeStream final
    : public grpc::ClientReadReactor<configpb::SubscribeConfigurationResponse> {
 public:
  SubscribeStream(std::shared_ptr<ComponentSubscription> owner,
                  std::unique_ptr<grpc::ClientContext> context,
                  const configpb::SubscribeConfigurationRequest& request)
      : owner_(std::move(owner)), context_(std::move(context)), request_(request) {}

  void Start(Configuration::Stub* stub) {
    stub->async()->Subscribe(context_.get(), &request_, this);
    StartRead(&response_);
    StartCall();
  }
  void Cancel() { context_->TryCancel(); }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows with the stream's status
    if (!confirmed_) {
      confirmed_ = true;
      owner_->OnConfirmed(this, response_.id());
    } else {
      owner_->Deliver(std::move(response_));
    }
    response_.Clear();
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    CountResponseTooLarge(status);
    owner_->OnStreamEnded(this, status, confirmed_);
    delete this;
  }

 private:
  std::shared_ptr<ComponentSubscription> owner_;
  std::unique_ptr<grpc::ClientContext> context_;
  configpb::SubscribeConfigurationRequest request_;
  configpb::SubscribeConfigurationResponse response_;
  bool confirmed_ = false;
};

void ComponentSubscription::Report(Callback<std::string> started, grpc::Status status,
                                   std::string id) {
  if (!started) return;
  try {
    started(std::move(status), std::move(id));
  } catch (const std::exception& e) {
    PH_LOG_ERROR("configuration", "subscription callback threw: {}", e.what());
  } catch (...) {
    PH_LOG_ERROR("configuration", "subscription callback threw a non-exception");
  }
}

void ComponentSubscription::Open() {
  SubscribeStream* stream = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    stream = NewAttemptLocked();
  }
  // Started outside the lock; a Close() meanwhile cancels it through the context.
  stream->Start(stub_.get());
}

SubscribeStream* ComponentSubscription::NewAttemptLocked() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata(kInstanceHeader, channel_.instance_name());
  // A component that is restarting is waited for rather than failed at once; the confirmation
  // timeout below bounds the wait.
  context->set_wait_for_ready(true);
  auto* stream = new SubscribeStream(shared_from_this(), std::move(context), request_);
  stream_ = stream;
  confirmed_ = false;
  timed_out_ = false;
  id_.clear();
  uint64_t attempt = ++attempt_;
  alarm_ = std::make_unique<grpc::Alarm>();
  alarm_->Set(std::chrono::system_clock::now() + kConfirmTimeout,
              [weak = weak_from_this(), attempt](bool fired) {
                if (!fired) return;  // cancelled: the stream confirmed or the handle closed
                if (auto self = weak.lock()) self->OnConfirmTimeout(attempt);
              });
  return stream;
}

void ComponentSubscription::OnConfirmTimeout(uint64_t attempt) {
  std::lock_guard lock(mutex_);
  if (closed_ || attempt != attempt_ || confirmed_ || stream_ == nullptr) return;
  timed_out_ = true;
  stream_->Cancel();
}

void ComponentSubscription::OnConfirmed(SubscribeStream* stream, std::string id) {
  Callback<std::string> started;
  {
    std::lock_guard lock(mutex_);
    if (stream != stream_) return;
    confirmed_ = true;
    id_ = id;
    reopen_backoff_.Reset();
    alarm_.reset();  // no confirmation timeout any more
    if (closed_) return;
    started = std::move(started_);
    started_ = nullptr;
  }
  Report(std::move(started), grpc::Status::OK, std::move(id));
}

void ComponentSubscription::Deliver(configpb::SubscribeConfigurationResponse batch) {
  std::lock_guard delivery(delivery_mutex_);
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
  }
  try {
    on_update_(std::move(batch));
  } catch (const std::exception& e) {
    PH_LOG_ERROR("configuration", "{}: update handler threw: {}", channel_.instance_name(),
                 e.what());
  } catch (...) {
    PH_LOG_ERROR("configuration", "{}: update handler threw a non-exception",
                 channel_.instance_name());
  }
}

void ComponentSubscription::OnStreamEnded(SubscribeStream* stream, const grpc::Status& status,
                                          bool confirmed) {
  Callback<std::string> started;
  grpc::Status failure;
  {
    std::lock_guard lock(mutex_);
    if (stream != stream_) return;
    stream_ = nullptr;
    if (closed_) return;
    if (!confirmed && started_) {
      // The first attempt failed: the subscription never existed, so it is not retried.
      closed_ = true;
      alarm_.reset();
      started = std::move(started_);
      started_ = nullptr;
      failure = timed_out_ ? grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                          "the component did not confirm the subscription")
                           : status;
    } else {
      milliseconds delay = reopen_backoff_.NextDelay();
      PH_LOG_WARN("configuration", "{}: subscription stream ended ({}); reopening in {} ms",
                  channel_.instance_name(),
                  status.ok() ? std::string("by the component") : status.error_message(),
                  delay.count());
      ScheduleReopenLocked(delay);
    }
  }
  if (started) Report(std::move(started), std::move(failure), "");
}

void ComponentSubscription::ScheduleReopenLocked(milliseconds delay) {
  alarm_ = std::make_unique<grpc::Alarm>();
  alarm_->Set(std::chrono::system_clock::now() + delay, [weak = weak_from_this()](bool fired) {
    if (!fired) return;
    if (auto self = weak.lock()) self->Open();
  });
}

void ComponentSubscription::Close() {
  Callback<std::string> started;
  std::string id;
  std::unique_ptr<grpc::Alarm> alarm;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    if (stream_ != nullptr) stream_->Cancel();
    if (confirmed_) id = id_;
    alarm = std::move(alarm_);
    started = std::move(started_);
    started_ = nullptr;
  }
  // Waits for a delivery already running; none starts after this.
  { std::lock_guard delivery(delivery_mutex_); }
  alarm.reset();
  if (started) {
    Report(std::move(started),
           grpc::Status(grpc::StatusCode::CANCELLED, "subscription closed before it started"), "");
  }
  if (id.empty()) return;
  configpb::UnsubscribeConfigurationRequest unsubscribe;
  unsubscribe.set_id(id);
  auto* stub = stub_.get();
  StartUnaryCall<configpb::UnsubscribeConfigurationRequest,
                 configpb::UnsubscribeConfigurationResponse>(
      channel_.NewControlContext(kUnsubscribeTimeout), std::move(unsubscribe),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->Unsubscribe(ctx, req, resp, cb);
      },
      [name = channel_.instance_name(), id](const grpc::Status& status,
                                            const configpb::UnsubscribeConfigurationResponse&) {
        if (!status.ok()) {
          PH_LOG_WARN("configuration", "{}: Unsubscribe {} failed: {}", name, id,
                      status.error_message());
        }
      });
}

// The handle given to the caller; closing it (or dropping it) ends the subscription.
class SubscriptionHandle final : public Subscription {
 public:
  explicit SubscriptionHandle(std::shared_ptr<ComponentSubscription> subscription)
      : subscription_(std::move(subscription)) {}
  ~SubscriptionHandle() override { Close(); }
  void Close() override { subscription_->Close(); }

 private:
  std::shared_ptr<ComponentSubscription> subscription_;
};

}  // namespace

void GrpcConfigurationStore::Get(configpb::GetConfigurationRequest request,
                                 const CallOptions& options,
                                 Callback<configpb::GetConfigurationResponse> done) {
  Call(&Async::Get, std::move(request), options, std::move(done));
}

std::unique_ptr<Subscription> GrpcConfigurationStore::Subscribe(
    configpb::SubscribeConfigurationRequest request, ConfigurationUpdateHandler on_update,
    Callback<std::string> started) {
  auto subscription = std::make_shared<ComponentSubscription>(
      channel_, stub_, std::move(request), std::move(on_update), std::move(started));
  subscription->Open();
  return std::make_unique<SubscriptionHandle>(std::move(subscription));
}

}  // namespace plughost
