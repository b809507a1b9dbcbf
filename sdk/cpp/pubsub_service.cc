#include "sdk/cpp/pubsub_service.h"

#include <utility>

#include "dapr/proto/components/v1/pubsub.grpc.pb.h"
#include "sdk/cpp/kind_service.h"
#include "sdk/cpp/serve_unary.h"
#include "sdk/cpp/stream_outbox.h"

namespace plughost::sdk {

grpc::Status PubSub::BulkPublish(const pubsubpb::BulkPublishRequest& request,
                                 pubsubpb::BulkPublishResponse* response) {
  for (const pubsubpb::BulkMessageEntry& entry : request.entries()) {
    pubsubpb::PublishRequest single;
    single.set_data(entry.event());
    single.set_pubsub_name(request.pubsub_name());
    single.set_topic(request.topic());
    single.set_content_type(entry.content_type());
    *single.mutable_metadata() = request.metadata();
    for (const auto& [key, value] : entry.metadata()) (*single.mutable_metadata())[key] = value;
    if (grpc::Status status = Publish(single); !status.ok()) {
      auto* failed = response->add_failed_entries();
      failed->set_entry_id(entry.entry_id());
      failed->set_error(status.error_message());
    }
  }
  return grpc::Status::OK;
}

namespace {

using Reactor =
    grpc::ServerBidiReactor<pubsubpb::PullMessagesRequest, pubsubpb::PullMessagesResponse>;
using StreamCore = internal::SharedStream<Reactor, pubsubpb::PullMessagesResponse, MessageStream,
                                          TopicSubscription>;
using internal::RunFor;

// One PullMessages stream: the first request names the topic, later ones ack deliveries.
class PullStream final : public Reactor {
 public:
  explicit PullStream(std::shared_ptr<PubSub> broker)
      : broker_(std::move(broker)), core_(std::make_shared<StreamCore>(this)) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Stop(grpc::Status::OK);  // the host half-closed: its acks are all in
      return;
    }
    if (!subscribed_) {
      subscribed_ = true;
      if (request_.topic().name().empty()) {
        Stop(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "the first PullMessagesRequest must name a topic"));
        return;
      }
      // Reading goes on meanwhile: acks cannot come before deliveries, and deliveries start
      // from Subscribe.
      RunFor(*broker_, [broker = broker_, core = core_, topic = request_.topic()] {
        absl::StatusOr<std::shared_ptr<TopicSubscription>> subscription =
            broker->Subscribe(topic, core);
        if (!subscription.ok()) {
          core->End(grpc::Status(static_cast<grpc::StatusCode>(subscription.status().code()),
                                 std::string(subscription.status().message())));
          return;
        }
        if (*subscription) core->Attach(std::move(*subscription));
      });
    } else if (!request_.ack_message_id().empty()) {
      std::optional<std::string> error;
      if (request_.has_ack_error()) error = request_.ack_error().message();
      if (auto subscription = core_->subscription()) {
        RunFor(*broker_, [subscription, id = request_.ack_message_id(), error] {
          subscription->OnAck(id, error);
        });
      }
    }
    if (!core_->stopped()) StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) Stop(grpc::Status::CANCELLED);  // the host went away; finishes after the write
    core_->outbox().WriteDone(ok);
  }

  void OnCancel() override { Stop(grpc::Status::CANCELLED); }
  void OnDone() override { delete this; }

 private:
  void Stop(grpc::Status status) {
    core_->Stop(std::move(status),
                [broker = broker_](const std::shared_ptr<TopicSubscription>& sub) {
                  RunFor(*broker, [sub] { sub->Close(); });
                });
  }

  std::shared_ptr<PubSub> broker_;
  std::shared_ptr<StreamCore> core_;
  pubsubpb::PullMessagesRequest request_;
  bool subscribed_ = false;  // only touched by reactions, which gRPC serialises per stream
};

class PubSubService final
    : public FeaturedKindService<pubsubpb::PubSub::CallbackService, PubSub,
                                 pubsubpb::PubSubInitRequest, pubsubpb::PubSubInitResponse> {
 public:
  using FeaturedKindService::FeaturedKindService;

  grpc::ServerUnaryReactor* Publish(grpc::CallbackServerContext* context,
                                    const pubsubpb::PublishRequest* request,
                                    pubsubpb::PublishResponse* response) override {
    auto broker = instances_->For(*context);
    return ServeUnary(context, broker->workers(), request, response,
                      [broker](const pubsubpb::PublishRequest& in, pubsubpb::PublishResponse*) {
                        if (in.topic().empty()) {
                          return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                              "topic is required");
                        }
                        return broker->Publish(in);
                      });
  }
  grpc::ServerUnaryReactor* BulkPublish(grpc::CallbackServerContext* context,
                                        const pubsubpb::BulkPublishRequest* request,
                                        pubsubpb::BulkPublishResponse* response) override {
    auto broker = instances_->For(*context);
    return ServeUnary(
        context, broker->workers(), request, response,
        [broker](const pubsubpb::BulkPublishRequest& in, pubsubpb::BulkPublishResponse* out) {
          if (in.topic().empty()) {
            return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "topic is required");
          }
          return broker->BulkPublish(in, out);
        });
  }
  Reactor* PullMessages(grpc::CallbackServerContext* context) override {
    return new PullStream(instances_->For(*context));
  }
};

}  // namespace

std::vector<NamedService> PubSubServices(std::shared_ptr<InstanceMap<PubSub>> instances) {
  std::vector<NamedService> services;
  services.push_back({pubsubpb::PubSub::service_full_name(),
                      std::make_unique<PubSubService>(std::move(instances))});
  return services;
}

}  // namespace plughost::sdk
