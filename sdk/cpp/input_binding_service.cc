#include "sdk/cpp/input_binding_service.h"

#include <utility>

#include "dapr/proto/components/v1/bindings.grpc.pb.h"
#include "sdk/cpp/kind_service.h"
#include "sdk/cpp/serve_unary.h"
#include "sdk/cpp/stream_outbox.h"

namespace plughost::sdk {
namespace {

using Reactor = grpc::ServerBidiReactor<inputpb::ReadRequest, inputpb::ReadResponse>;
using EventCore =
    internal::SharedStream<Reactor, inputpb::ReadResponse, EventStream, ReadSubscription>;
using internal::RunFor;

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
    core_->Stop(std::move(status),
                [binding = binding_](const std::shared_ptr<ReadSubscription>& sub) {
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
