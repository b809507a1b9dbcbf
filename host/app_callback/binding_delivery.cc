#include "host/app_callback/binding_delivery.h"

#include <google/protobuf/empty.pb.h>
#include <grpcpp/alarm.h>

#include <algorithm>
#include <exception>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/backoff.h"
#include "common/gate.h"
#include "host/app_callback/binding_delivery_response.h"
#include "host/common/log.h"
#include "host/components/binding_direction.h"
#include "host/components/bindings.h"

namespace plughost {
namespace {

namespace appcallbackpb = ::dapr::proto::runtime::v1;

// One unary call to the app on the callback API; owns what the call needs until it completes.
template <typename Request, typename Response, typename Start, typename Done>
void CallApp(std::unique_ptr<grpc::ClientContext> context, Request request, Start start,
             Done done) {
  struct Call {
    std::unique_ptr<grpc::ClientContext> context;
    Request request;
    Response response;
    Done done;
  };
  auto* call = new Call{std::move(context), std::move(request), Response{}, std::move(done)};
  start(call->context.get(), &call->request, &call->response, [call](grpc::Status status) {
    std::unique_ptr<Call> owned(call);
    try {
      owned->done(std::move(status), std::move(owned->response));
    } catch (const std::exception& e) {
      PH_LOG_ERROR("bindings", "app callback completion threw: {}", e.what());
    }
  });
}

}  // namespace

class BindingDelivery::State : public std::enable_shared_from_this<BindingDelivery::State> {
 public:
  State(const DeliveryContext* context, BindingDeliveryOptions options)
      : context_(context),
        options_(options),
        app_(context->app_channel),
        retry_backoff_(Backoff::Options{options.first_retry, 2.0, 0.2, options.max_retry}) {}

  void List() {
    auto* stub = &app_->stub();
    CallApp<google::protobuf::Empty, appcallbackpb::ListInputBindingsResponse>(
        app_->NewContext(options_.list_timeout), google::protobuf::Empty{},
        [stub](auto* ctx, auto* req, auto* resp, auto cb) {
          stub->async()->ListInputBindings(ctx, req, resp, std::move(cb));
        },
        [self = shared_from_this()](const grpc::Status& status,
                                    const appcallbackpb::ListInputBindingsResponse& listed) {
          self->Listed(status, listed);
        });
  }

  void Stop(std::chrono::milliseconds drain) {
    std::vector<std::unique_ptr<Subscription>> subscriptions;
    std::unique_ptr<grpc::Alarm> retry;
    {
      absl::MutexLock lock(&mutex_);
      if (stopped_) return;
      stopped_ = true;
      subscriptions = std::move(subscriptions_);
      retry = std::move(retry_);
    }
    // No new event goes to the app from here on.
    in_flight_.Close();
    // Outside the lock: closing waits out a delivery in progress.
    for (auto& subscription : subscriptions) subscription->Close();
    retry.reset();  // cancels a pending retry of the listing
    if (!in_flight_.WaitFor(drain)) {
      PH_LOG_WARN("bindings",
                  "stopping with {} input binding event(s) still at the app; the "
                  "components will see them unacked",
                  in_flight_.in_flight());
    }
  }

 private:
  void Listed(const grpc::Status& status, const appcallbackpb::ListInputBindingsResponse& listed) {
    std::vector<std::pair<std::string, InstancePtr>> to_read;
    {
      absl::MutexLock lock(&mutex_);
      if (stopped_) return;
      if (!status.ok() && status.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
        ScheduleRetryLocked(status);
        return;
      }
      if (failures_ > 0) {
        PH_LOG_INFO("bindings", "app at {} answered ListInputBindings after {} failed attempt(s)",
                    app_->address(), failures_);
      }
      if (!status.ok()) {
        // Dapr reads no listed binding for an app that lists none; explicit ones still are.
        PH_LOG_INFO("bindings",
                    "the app does not implement ListInputBindings: only input "
                    "bindings whose direction metadata names \"input\" are read");
      }
      to_read = ToRead(status.ok() ? listed : appcallbackpb::ListInputBindingsResponse{});
    }
    // Outside the lock: Read may start a stream, and deliveries take the lock.
    std::vector<std::unique_ptr<Subscription>> opened;
    for (auto& [name, instance] : to_read) {
      PH_LOG_INFO("bindings", "delivering input binding '{}' ({}) events to the app", name,
                  instance->type);
      opened.push_back(instance->As<InputBinding>()->Read(
          [weak = weak_from_this(), name = name](bindingspb::ReadResponse event,
                                                 Callback<std::string> reply) {
            if (auto self = weak.lock()) {
              self->Deliver(name, std::move(event), std::move(reply));
            } else {
              reply(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the host is shutting down"), {});
            }
          }));
    }
    bool stopped = false;
    {
      absl::MutexLock lock(&mutex_);
      stopped = stopped_;
      if (!stopped) {
        for (auto& subscription : opened) subscriptions_.push_back(std::move(subscription));
      }
    }
    if (stopped) {
      for (auto& subscription : opened) subscription->Close();
    }
  }

  // The listed bindings that serve as input, then every binding whose direction metadata
  // names "input", which Dapr reads whether or not the app lists it.
  std::vector<std::pair<std::string, InstancePtr>> ToRead(
      const appcallbackpb::ListInputBindingsResponse& listed) const {
    std::vector<std::pair<std::string, InstancePtr>> to_read;
    std::set<std::string> chosen;
    for (const std::string& name : listed.bindings()) {
      auto instance = context_->instances->Find(ComponentKind::kInputBinding, name);
      if (!instance) {
        PH_LOG_INFO("bindings",
                    "the app listed input binding '{}', but none is configured; "
                    "skipped",
                    name);
        continue;
      }
      if (!BindingServesAs(instance->metadata, ComponentKind::kInputBinding)) {
        PH_LOG_INFO("bindings",
                    "the app listed input binding '{}', but its direction metadata "
                    "leaves out \"input\"; skipped",
                    name);
        continue;
      }
      if (chosen.insert(name).second) to_read.emplace_back(name, std::move(instance));
    }
    for (auto& instance : context_->instances->All()) {
      if (instance->kind != ComponentKind::kInputBinding ||
          !BindingDirectionNames(instance->metadata, ComponentKind::kInputBinding) ||
          !chosen.insert(instance->name).second) {
        continue;
      }
      std::string name = instance->name;
      to_read.emplace_back(std::move(name), std::move(instance));
    }
    return to_read;
  }

  void ScheduleRetryLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    auto delay = retry_backoff_.NextDelay();
    ++failures_;
    if (failures_ == 1) {
      PH_LOG_WARN("bindings",
                  "app at {} not reachable for ListInputBindings ({}); retrying with "
                  "backoff",
                  app_->address(), status.error_message());
    } else {
      PH_LOG_DEBUG("bindings", "ListInputBindings attempt {} failed ({}); next in {} ms", failures_,
                   status.error_message(), delay.count());
    }
    retry_ = std::make_unique<grpc::Alarm>();
    retry_->Set(std::chrono::system_clock::now() + delay, [weak = weak_from_this()](bool fired) {
      if (!fired) return;
      if (auto self = weak.lock()) self->List();
    });
  }

  void Deliver(const std::string& name, bindingspb::ReadResponse event,
               Callback<std::string> reply) {
    Gate::Holder entered(in_flight_);
    if (!entered) {  // stopping: the component sees the event refused and may redeliver it
      reply(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the host is shutting down"), {});
      return;
    }
    appcallbackpb::BindingEventRequest request;
    request.set_name(name);
    request.set_data(std::move(*event.mutable_data()));
    request.mutable_metadata()->swap(*event.mutable_metadata());
    auto* stub = &app_->stub();
    CallApp<appcallbackpb::BindingEventRequest, appcallbackpb::BindingEventResponse>(
        app_->NewContext(options_.callback_timeout), std::move(request),
        [stub](auto* ctx, auto* req, auto* resp, auto cb) {
          stub->async()->OnBindingEvent(ctx, req, resp, std::move(cb));
        },
        [self = shared_from_this(), name, message_id = event.message_id(), reply = std::move(reply),
         entered = std::make_shared<Gate::Holder>(std::move(entered))](
            const grpc::Status& status, appcallbackpb::BindingEventResponse response) mutable {
          // Leaves the gate once the ack is handed back, without any lock held.
          auto finish = [entered, reply = std::move(reply)](grpc::Status ack,
                                                            std::string data) mutable {
            reply(std::move(ack), std::move(data));
            entered->Release();
          };
          if (!status.ok()) {
            PH_LOG_WARN("bindings", "input binding '{}': the app did not handle event '{}': {}",
                        name, message_id, status.error_message());
            finish(
                grpc::Status(status.error_code(), "error invoking app: " + status.error_message()),
                {});
            return;
          }
          // The ack waits for sequential sends to the bindings in `to`, as daprd's does.
          std::string ack_data = response.data();
          ApplyBindingEventResponse(
              *self->context_, name, std::move(response),
              [finish = std::move(finish), ack_data = std::move(ack_data)]() mutable {
                finish(grpc::Status::OK, std::move(ack_data));
              });
        });
  }

  const DeliveryContext* context_;
  BindingDeliveryOptions options_;
  std::shared_ptr<AppChannel> app_;

  Gate in_flight_;  // events at the app; closed by Stop

  absl::Mutex mutex_;
  bool stopped_ ABSL_GUARDED_BY(mutex_) = false;
  int failures_ ABSL_GUARDED_BY(mutex_) = 0;
  Backoff retry_backoff_ ABSL_GUARDED_BY(mutex_);
  std::unique_ptr<grpc::Alarm> retry_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::unique_ptr<Subscription>> subscriptions_ ABSL_GUARDED_BY(mutex_);
};

BindingDelivery::BindingDelivery(const DeliveryContext* context, BindingDeliveryOptions options) {
  if (context->app_channel) state_ = std::make_shared<State>(context, options);
}

BindingDelivery::~BindingDelivery() { Stop(std::chrono::milliseconds(0)); }

void BindingDelivery::Start() {
  if (state_) state_->List();
}

void BindingDelivery::Stop(std::chrono::milliseconds drain) {
  if (state_) state_->Stop(drain);
}

}  // namespace plughost
