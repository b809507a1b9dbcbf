#include "sdk/cpp/input_binding_service.h"

#include <utility>

#include "dapr/proto/components/v1/bindings.grpc.pb.h"
#include "sdk/cpp/kind_service.h"
#include "sdk/cpp/serve_unary.h"
#include "sdk/cpp/stream_outbox.h"

namespace plughost::sdk {
namespace {

using Reactor = grpc::ServerBidiReactor<inputpb::ReadRequest, inputpb::ReadResponse>;
using Outbox = internal::StreamOutbox<Reactor, inputpb::ReadResponse>;

template <typename Task>
void RunFor(InputBinding& binding, Task task) {
  if (WorkerPool* workers = binding.workers()) {
    workers->Post(std::move(task));
  } else {
    task();
  }
}

// What the reactor, the author's subscription and the workers share (outlives the reactor).
class EventCore final : public EventStream {
 public:
  explicit EventCore(Reactor* reactor) : outbox_(reactor) {}

  bool Send(inputpb::ReadResponse event) override { return outbox_.Send(std::move(event)); }
  void End(grpc::Status status) override { Stop(std::move(status), CloseHere); }
  bool ended() override { return outbox_.closing(); }
  Outbox& outbox() { return outbox_; }

  bool Attach(std::shared_ptr<ReadSubscription> subscription) {
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
  std::shared_ptr<ReadSubscription> subscription() {
    absl::MutexLock lock(&mutex_);
    return subscription_;
  }
  bool stopped() {
    absl::MutexLock lock(&mutex_);
    return stopped_;
  }

  // Ends the stream once; may finish the reactor, so the caller must not touch it afterwards.
  template <typename CloseSubscription>
  void Stop(grpc::Status status, CloseSubscription close) {
    std::shared_ptr<ReadSubscription> subscription;
    {
      absl::MutexLock lock(&mutex_);
      if (stopped_) return;
      stopped_ = true;
      subscription = std::move(subscription_);
    }
    if (subscription) close(std::move(subscription));
    outbox_.Close(std::move(status));
  }

 private:
  static void CloseHere(std::shared_ptr<ReadSubscription> subscription) { subscription->Close(); }

  Outbox outbox_;
  absl::Mutex mutex_;
  bool stopped_ ABSL_GUARDED_BY(mutex_) = false;
  std::shared_ptr<ReadSubscription> subscription_ ABSL_GUARDED_BY(mutex_);
};

// One Read stream: events start at once; every request is an ack.
class ReadStream final : public Reactor {
 public:
  explicit ReadStream(std::shared_ptr<InputBinding> binding)
      : binding_(std::move(binding)), core_(std::make_shared<EventCore>(this)) {
    StartRead(&request_);
    RunFor(*binding_, [binding = binding_, core = core_] {
      absl::StatusOr<std::shared_ptr<ReadSubscription>> subscription = binding->Read(core);
      if (!subscription.ok()) {
        core->End(grpc::Status(static_cast<grpc::StatusCode>(subscription.status().code()),
                               std::string(subscription.status().message())));
        return;
      }
      if (*subscription) core->Attach(std::move(*subscription));
    });
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Stop(grpc::Status::OK);
      return;
    }
    if (!request_.message_id().empty()) {
      std::optional<std::string> error;
      if (request_.has_response_error()) error = request_.response_error().message();
      if (auto subscription = core_->subscription()) {
        RunFor(*binding_,
               [subscription, id = request_.message_id(), error,
                response = request_.response_data()] { subscription->OnAck(id, error, response); });
      }
    }
    if (!core_->stopped()) StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) Stop(grpc::Status::CANCELLED);
    core_->outbox().WriteDone(ok);
  }
  void OnCancel() override { Stop(grpc::Status::CANCELLED); }
  void OnDone() override { delete this; }

 private:
  void Stop(grpc::Status status) {
    core_->Stop(std::move(status), [binding = binding_](std::shared_ptr<ReadSubscription> sub) {
      RunFor(*binding, [sub] { sub->Close(); });
    });
  }

  std::shared_ptr<InputBinding> binding_;
  std::shared_ptr<EventCore> core_;
  inputpb::ReadRequest request_;
};

class InputBindingService final
    : public KindService<inputpb::InputBinding::CallbackService, sdk::InputBinding,
                         inputpb::InputBindingInitRequest, inputpb::InputBindingInitResponse> {
 public:
  using KindService::KindService;

  Reactor* Read(grpc::CallbackServerContext* context) override {
    return new ReadStream(instances_->For(*context));
  }
};

}  // namespace

std::vector<NamedService> InputBindingServices(
    std::shared_ptr<InstanceMap<InputBinding>> instances) {
  std::vector<NamedService> services;
  services.push_back({inputpb::InputBinding::service_full_name(),
                      std::make_unique<InputBindingService>(std::move(instances))});
  return services;
}

}  // namespace plughost::sdk
