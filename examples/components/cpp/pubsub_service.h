// dapr.proto.components.v1.PubSub for the C++ sample: a small broker per instance. Each topic
// is a queue: a published message waits until a PullMessages stream of that topic is open,
// goes to one of the open streams (round robin), and stays with the broker until that stream
// acks it. A rejected message (ack_error) is delivered again after a short delay (100 ms,
// doubling to 1 s); the unacked messages of a stream that closes go back to the queue. So
// nothing acked is lost and nothing unacked is dropped (while the process lives).
//
// Test hook: a Publish (or bulk entry) whose metadata has "failWith" is refused with that text.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dapr/proto/components/v1/pubsub.grpc.pb.h"
#include "sdk/cpp/instance_map.h"

namespace plughost::sample {

namespace pubsubpb = ::dapr::proto::components::v1;

class Consumer;

// One instance's topics.
class Broker : public std::enable_shared_from_this<Broker> {
 public:
  struct Message {
    std::string data;
    std::string content_type;
    std::map<std::string, std::string> metadata;
    int attempts = 0;  // deliveries so far
  };

  void Publish(const std::string& topic, Message message);
  // A stream of `topic` opened or closed. Closing hands back the messages it never acked.
  void Attach(const std::string& topic, std::shared_ptr<Consumer> consumer);
  void Detach(const std::string& topic, const std::shared_ptr<Consumer>& consumer,
              std::vector<Message> unacked);
  // A message a consumer rejected: back in the queue after a delay.
  void Redeliver(const std::string& topic, Message message);

 private:
  struct Topic {
    std::deque<Message> ready;
    std::vector<std::shared_ptr<Consumer>> consumers;
    size_t next_consumer = 0;
  };

  // Hands ready messages to open streams until one side runs out.
  void Dispatch(const std::string& topic);

  std::mutex mutex_;
  std::map<std::string, Topic> topics_;
};

using PubSubInstances = sdk::InstanceMap<Broker>;

class PubSubService final : public pubsubpb::PubSub::CallbackService {
 public:
  explicit PubSubService(std::shared_ptr<PubSubInstances> instances)
      : instances_(std::move(instances)) {}

  grpc::ServerUnaryReactor* Init(grpc::CallbackServerContext* context,
                                 const pubsubpb::PubSubInitRequest* request,
                                 pubsubpb::PubSubInitResponse* response) override;
  grpc::ServerUnaryReactor* Features(grpc::CallbackServerContext* context,
                                     const pubsubpb::FeaturesRequest* request,
                                     pubsubpb::FeaturesResponse* response) override;
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const pubsubpb::PingRequest* request,
                                 pubsubpb::PingResponse* response) override;
  grpc::ServerUnaryReactor* Publish(grpc::CallbackServerContext* context,
                                    const pubsubpb::PublishRequest* request,
                                    pubsubpb::PublishResponse* response) override;
  grpc::ServerUnaryReactor* BulkPublish(grpc::CallbackServerContext* context,
                                        const pubsubpb::BulkPublishRequest* request,
                                        pubsubpb::BulkPublishResponse* response) override;
  grpc::ServerBidiReactor<pubsubpb::PullMessagesRequest, pubsubpb::PullMessagesResponse>*
  PullMessages(grpc::CallbackServerContext* context) override;

 private:
  std::shared_ptr<PubSubInstances> instances_;
};

}  // namespace plughost::sample
