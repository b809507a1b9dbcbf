#include "wrappers/configuration/grpc_configuration_store.h"

#include <grpcpp/alarm.h>
#include <grpcpp/support/client_callback.h>

#include <atomic>
#include <chrono>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/backoff.h"
#include "host/common/log.h"
#include "wrappers/common/control_calls.h"
#include "wrappers/common/response_limit.h"
#include "wrappers/common/stream_attempts.h"
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

// What outlives one Subscribe call's reactor: Close and the confirmation timeout reach the
// attempt through it.
struct SubscribeAttempt {
  enum Phase : int { kWaiting, kConfirmed, kTimedOut };
  grpc::ClientContext context;
  // The first message and the confirmation timeout race; whichever settles the phase first wins,
  // so an attempt that timed out never reports a confirmation.
  std::atomic<int> phase{kWaiting};
  bool Settle(Phase to) {
    int waiting = kWaiting;
    return phase.compare_exchange_strong(waiting, to);
  }
};

// One subscription across its stream attempts (StreamAttempts: reopening, the delivery gate).
// Shared by the handle, the current attempt's reactor and pending alarms; whichever finishes
// last frees it.
class ComponentSubscription : public std::enable_shared_from_this<ComponentSubscription> {
 public:
  ComponentSubscription(ComponentChannel channel, std::shared_ptr<Configuration::Stub> stub,
                        configpb::SubscribeConfigurationRequest request,
                        ConfigurationUpdateHandler on_update, Callback<std::string> started)
      : channel_(std::move(channel)),
        stub_(std::move(stub)),
        request_(std::move(request)),
        attempts_({channel_.instance_name(), "configuration", "subscription stream",
                   // A restarting component is waited for rather than failed at once; the
                   // confirmation timeout bounds the wait.
                   /*wait_for_ready=*/true, kReopenBackoff},
                  std::move(on_update)),
        started_(std::move(started)) {}

  void Open();
  void Close();

  // Called by the current attempt's reactor.
  void OnConfirmed(std::string id);
  void Deliver(configpb::SubscribeConfigurationResponse batch) {
    attempts_.Deliver(std::move(batch));
  }
  void OnAttemptEnded(const std::shared_ptr<SubscribeAttempt>& attempt, const grpc::Status& status);

 private:
  // Calls the `started` callback (at most once in all), outside every lock.
  void Report(Callback<std::string> started, grpc::Status status, std::string id) {
    if (!started) return;
    attempts_.Guarded([&] { started(std::move(status), std::move(id)); }, "start callback");
  }
  void Unsubscribe(const std::string& id);

  const ComponentChannel channel_;
  const std::shared_ptr<Configuration::Stub> stub_;
  const configpb::SubscribeConfigurationRequest request_;
  StreamAttempts<SubscribeAttempt, ConfigurationUpdateHandler> attempts_;

  absl::Mutex mutex_;
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
  // Set until the first confirmation, the first attempt's failure or Close, whichever is first.
  Callback<std::string> started_ ABSL_GUARDED_BY(mutex_);
  std::string id_ ABSL_GUARDED_BY(mutex_);  // the confirmed id of the current attempt, if any
};

// One Subscribe call: its first message confirms it, the later ones are deliveries. Owns itself
// from StartCall until OnDone.
class SubscribeStream final
    : public grpc::ClientReadReactor<configpb::SubscribeConfigurationResponse> {
 public:
  SubscribeStream(std::shared_ptr<ComponentSubscription> owner,
                  std::shared_ptr<SubscribeAttempt> attempt,
                  const configpb::SubscribeConfigurationRequest& request)
      : owner_(std::move(owner)), attempt_(std::move(attempt)), request_(request) {}

  void Start(Configuration::Stub* stub) {
    confirm_timer_.Set(std::chrono::system_clock::now() + kConfirmTimeout,
                       [weak = std::weak_ptr(attempt_)](bool fired) {
                         if (!fired) return;  // cancelled: confirmed, or the attempt ended
                         auto attempt = weak.lock();
                         if (attempt && attempt->Settle(SubscribeAttempt::kTimedOut)) {
                           attempt->context.TryCancel();
                         }
                       });
    stub->async()->Subscribe(&attempt_->context, &request_, this);
    StartRead(&response_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows with the stream's status
    if (attempt_->phase == SubscribeAttempt::kConfirmed) {
      owner_->Deliver(std::move(response_));
    } else if (attempt_->Settle(SubscribeAttempt::kConfirmed)) {
      confirm_timer_.Cancel();
      owner_->OnConfirmed(response_.id());
    } else {
      return;  // timed out: being cancelled, OnDone follows
    }
    response_.Clear();
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    CountResponseTooLarge(status);
    confirm_timer_.Cancel();
    owner_->OnAttemptEnded(attempt_, status);
    delete this;
  }

 private:
  const std::shared_ptr<ComponentSubscription> owner_;
  const std::shared_ptr<SubscribeAttempt> attempt_;
  const configpb::SubscribeConfigurationRequest request_;
  configpb::SubscribeConfigurationResponse response_;
  grpc::Alarm confirm_timer_;
};

void ComponentSubscription::Open() {
  auto attempt = attempts_.BeginAttempt();
  if (!attempt) return;  // closed
  // Outside every lock: an attempt that fails at once may end (and call back) on this thread.
  (new SubscribeStream(shared_from_this(), attempt, request_))->Start(stub_.get());
}

void ComponentSubscription::OnConfirmed(std::string id) {
  Callback<std::string> started;
  {
    absl::MutexLock lock(&mutex_);
    if (closed_) return;
    id_ = id;
    started = std::exchange(started_, nullptr);
  }
  Report(std::move(started), grpc::Status::OK, std::move(id));
}

void ComponentSubscription::OnAttemptEnded(const std::shared_ptr<SubscribeAttempt>& attempt,
                                           const grpc::Status& status) {
  const bool confirmed = attempt->phase == SubscribeAttempt::kConfirmed;
  Callback<std::string> started;
  bool closed = false;
  {
    absl::MutexLock lock(&mutex_);
    id_.clear();  // the component's subscription ended with its stream
    if (!confirmed) started = std::exchange(started_, nullptr);
    closed = closed_;  // Close() is on its way: no reopen to schedule and cancel
  }
  if (!started && !closed) {
    attempts_.AttemptEnded(attempt, status, /*healthy=*/confirmed, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->Open();
    });
    return;
  }
  // Closing, or the first attempt failed: the subscription never existed, so it is not retried.
  attempts_.LastAttemptEnded(attempt);
  Report(std::move(started),
         attempt->phase == SubscribeAttempt::kTimedOut
             ? grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                            "the component did not confirm the subscription")
             : status,
         "");
}

void ComponentSubscription::Close() {
  Callback<std::string> started;
  std::string id;
  {
    absl::MutexLock lock(&mutex_);
    if (closed_) return;
    closed_ = true;
    started = std::exchange(started_, nullptr);
    id = std::exchange(id_, "");
  }
  // Cancels the attempt in flight and waits for a delivery already running (unless this is it).
  attempts_.Close([](const std::shared_ptr<SubscribeAttempt>& attempt, bool /*inside_delivery*/) {
    attempt->context.TryCancel();
  });
  Report(std::move(started),
         grpc::Status(grpc::StatusCode::CANCELLED, "subscription closed before it started"), "");
  if (!id.empty()) Unsubscribe(id);
}

void ComponentSubscription::Unsubscribe(const std::string& id) {
  configpb::UnsubscribeConfigurationRequest unsubscribe;
  unsubscribe.set_id(id);
  StartUnaryCall(
      channel_.NewControlContext(kUnsubscribeTimeout), stub_.get(),
      &Configuration::StubInterface::async_interface::Unsubscribe, std::move(unsubscribe),
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
