#include "wrappers/pubsub/grpc_pubsub.h"

#include <chrono>
#include <string>
#include <utility>

#include "wrappers/common/ack_stream.h"
#include "wrappers/common/unary_call.h"

namespace plughost {
namespace {

using PullStream = AckStream<pubsubpb::PullMessagesRequest, pubsubpb::PullMessagesResponse>;

// How long closing a subscription waits for the component to read the last acks and end the
// stream before cancelling it (then those acks are lost and the messages come again).
constexpr auto kGracefulCloseTimeout = std::chrono::milliseconds(500);
// Messages one stream may have with the host, unacked, before it stops reading more.
constexpr int kMaxUnacked = 32;

// The ack of message `id`: empty for success, else the host's reason for the component.
pubsubpb::PullMessagesRequest AckFor(std::string id, const grpc::Status& status) {
  pubsubpb::PullMessagesRequest ack;
  ack.set_ack_message_id(std::move(id));
  if (!status.ok()) {
    ack.mutable_ack_error()->set_message(status.error_message().empty() ? "rejected by the host"
                                                                        : status.error_message());
  }
  return ack;
}

class SubscriptionHandle : public Subscription {
 public:
  explicit SubscriptionHandle(std::shared_ptr<PullStream> stream) : stream_(std::move(stream)) {}
  ~SubscriptionHandle() override { Close(); }
  void Close() override { stream_->Close(); }

 private:
  std::shared_ptr<PullStream> stream_;
};

}  // namespace

void GrpcPubSub::Publish(pubsubpb::PublishRequest request, const CallOptions& options,
                         StatusCallback done) {
  Call(&Async::Publish, std::move(request), options,
       StatusOnly<pubsubpb::PublishResponse>(std::move(done)));
}

void GrpcPubSub::BulkPublish(pubsubpb::BulkPublishRequest request, const CallOptions& options,
                             Callback<pubsubpb::BulkPublishResponse> done) {
  Call(&Async::BulkPublish, std::move(request), options, std::move(done));
}

std::unique_ptr<Subscription> GrpcPubSub::Subscribe(pubsubpb::Topic topic, MessageHandler handler) {
  PullStream::Options options;
  options.instance_name = channel_.instance_name();
  options.log_area = "pubsub";
  options.description = "message stream for topic " + topic.name();
  options.start_call = [stub = stub_](grpc::ClientContext* context, PullStream::Reactor* reactor) {
    stub->async()->PullMessages(context, reactor);
  };
  *options.first_request.emplace().mutable_topic() = std::move(topic);
  options.max_unacked = kMaxUnacked;
  options.graceful_close = kGracefulCloseTimeout;
  auto deliver = [handler = std::move(handler)](pubsubpb::PullMessagesResponse message,
                                                PullStream::Ack ack) {
    std::string id = message.id();
    handler(std::move(message), [ack = std::move(ack), id = std::move(id)](
                                    const grpc::Status& status) { ack(AckFor(id, status)); });
  };
  return std::make_unique<SubscriptionHandle>(
      PullStream::Open(std::move(options), std::move(deliver)));
}

}  // namespace plughost
