// The client-stream engine (wrappers/common/ack_stream.h) against an in-process pub/sub
// component on a real Unix socket: flow control, acks in order, reopening after the component
// ends the stream, graceful close and Close() from inside a delivery.
#include "wrappers/common/ack_stream.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <thread>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "dapr/proto/components/v1/pubsub.grpc.pb.h"
#include "host/common/callback_queue_pin.h"
#include "support/process.h"

namespace plughost {
namespace {

namespace pubsubpb = ::dapr::proto::components::v1;
using namespace std::chrono_literals;
using Engine = AckStream<pubsubpb::PullMessagesRequest, pubsubpb::PullMessagesResponse>;

// What the fake component saw, across its streams.
struct Seen {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> topics;  // the first request of each stream
  std::vector<std::string> acks;    // ack_message_id, in arrival order
  std::vector<std::string> instances;
  int streams_ended = 0;

  template <typename Predicate>
  bool WaitUntil(Predicate predicate) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 10s, [&] { return predicate(); });
  }
};

// Sends `count` messages after the topic arrives (or ends the stream with UNAVAILABLE after
// `end_after` messages), recording every ack until the host half-closes or goes away.
class FakePull final : public grpc::ServerBidiReactor<pubsubpb::PullMessagesRequest,
                                                      pubsubpb::PullMessagesResponse> {
 public:
  FakePull(Seen* seen, int count, int end_after)
      : seen_(seen), count_(count), end_after_(end_after) {
    StartRead(&incoming_);
  }
  void OnReadDone(bool ok) override {
    if (!ok) {  // the host half-closed (graceful close) or went away
      FinishOnce(grpc::Status::OK);
      return;
    }
    bool first = false;
    {
      std::lock_guard lock(seen_->mutex);
      if (incoming_.has_topic() && !got_topic_) {
        got_topic_ = true;
        first = true;
        seen_->topics.push_back(incoming_.topic().name());
      } else {
        seen_->acks.push_back(incoming_.ack_message_id());
      }
    }
    seen_->changed.notify_all();
    if (first) WriteNext();
    StartRead(&incoming_);
  }
  void OnWriteDone(bool ok) override {
    if (ok) WriteNext();
  }
  void OnDone() override {
    {
      std::lock_guard lock(seen_->mutex);
      seen_->streams_ended++;
    }
    seen_->changed.notify_all();
    delete this;
  }

 private:
  void WriteNext() {
    std::lock_guard lock(write_mutex_);
    if (sent_ == end_after_) {
      FinishOnce(grpc::Status(grpc::StatusCode::UNAVAILABLE, "component restarts"));
      return;
    }
    if (sent_ >= count_) return;
    outgoing_.set_id(std::to_string(sent_++));
    outgoing_.set_topic_name("orders");
    StartWrite(&outgoing_);
  }

  void FinishOnce(grpc::Status status) {
    if (finished_.exchange(true)) return;
    Finish(std::move(status));
  }

  Seen* seen_;
  std::atomic<bool> finished_{false};
  const int count_;
  const int end_after_;
  bool got_topic_ = false;
  pubsubpb::PullMessagesRequest incoming_;
  std::mutex write_mutex_;
  pubsubpb::PullMessagesResponse outgoing_;
  int sent_ = 0;
};

class FakePubSub final : public pubsubpb::PubSub::CallbackService {
 public:
  FakePubSub(Seen* seen, int count, int end_after = -1)
      : seen_(seen), count_(count), end_after_(end_after) {}
  grpc::ServerBidiReactor<pubsubpb::PullMessagesRequest, pubsubpb::PullMessagesResponse>*
  PullMessages(grpc::CallbackServerContext* context) override {
    {
      std::lock_guard lock(seen_->mutex);
      auto header = context->client_metadata().find(kInstanceHeader);
      seen_->instances.emplace_back(
          header == context->client_metadata().end()
              ? std::string()
              : std::string(header->second.data(), header->second.size()));
    }
    return new FakePull(seen_, count_, end_after_);
  }

 private:
  Seen* seen_;
  int count_;
  int end_after_;
};

struct Component {
  Component(const std::string& socket, FakePubSub* service) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + socket, grpc::InsecureServerCredentials());
    builder.RegisterService(service);
    server = builder.BuildAndStart();
  }
  ~Component() { server->Shutdown(std::chrono::system_clock::now() + 1s); }
  std::unique_ptr<grpc::Server> server;
};

// The engine is used here without ComponentChannel, so the test takes gRPC 1.51's callback
// queue pin itself: without it the last channel of the process could be released by the
// engine on a callback thread, which makes gRPC free that thread's queue twice.
std::shared_ptr<pubsubpb::PubSub::Stub> StubFor(const std::string& socket) {
  PinCallbackCompletionQueue();
  return pubsubpb::PubSub::NewStub(
      grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials()));
}

Engine::Options OptionsFor(const std::shared_ptr<pubsubpb::PubSub::Stub>& stub) {
  Engine::Options options;
  options.instance_name = "orders-instance";
  options.log_area = "test";
  options.description = "test stream";
  options.start_call = [stub](grpc::ClientContext* context, Engine::Reactor* reactor) {
    stub->async()->PullMessages(context, reactor);
  };
  options.first_request.emplace().mutable_topic()->set_name("orders");
  options.reopen_backoff.initial = 10ms;
  options.reopen_backoff.max = 50ms;
  return options;
}

pubsubpb::PullMessagesRequest AckOf(const pubsubpb::PullMessagesResponse& message) {
  pubsubpb::PullMessagesRequest ack;
  ack.set_ack_message_id(message.id());
  return ack;
}

// Messages the host holds, unacked, with their acks.
struct Held {
  std::mutex mutex;
  std::vector<std::pair<std::string, Engine::Ack>> messages;
  size_t Count() {
    std::lock_guard lock(mutex);
    return messages.size();
  }
  void AckAll() {
    std::vector<std::pair<std::string, Engine::Ack>> taken;
    {
      std::lock_guard lock(mutex);
      taken.swap(messages);
    }
    for (auto& [id, ack] : taken) {
      pubsubpb::PullMessagesRequest request;
      request.set_ack_message_id(id);
      ack(std::move(request));
    }
  }
};

TEST_CASE("AckStream: no more than max_unacked messages wait for acks; acks arrive in order") {
  testing::TempDir dir;
  Seen seen;
  FakePubSub service(&seen, 20);
  Component component(dir.File("c.sock"), &service);
  std::shared_ptr<pubsubpb::PubSub::Stub> shared_stub = StubFor(dir.File("c.sock"));

  Held held;
  auto options = OptionsFor(shared_stub);
  options.max_unacked = 4;
  auto stream = Engine::Open(options, [&](pubsubpb::PullMessagesResponse message, Engine::Ack ack) {
    std::lock_guard lock(held.mutex);
    held.messages.emplace_back(message.id(), std::move(ack));
  });

  REQUIRE(testing::Eventually([&] { return held.Count() == 4; }));
  std::this_thread::sleep_for(100ms);  // give a fifth message the chance to (wrongly) arrive
  CHECK(held.Count() == 4);
  for (int round = 0; round < 5; ++round) {
    held.AckAll();
    REQUIRE(testing::Eventually([&] {
      std::lock_guard lock(seen.mutex);
      return seen.acks.size() == static_cast<size_t>(4 * (round + 1));
    }));
    if (round < 4) REQUIRE(testing::Eventually([&] { return held.Count() == 4; }));
  }
  {
    std::lock_guard lock(seen.mutex);
    for (size_t i = 0; i < seen.acks.size(); ++i) CHECK(seen.acks[i] == std::to_string(i));
    CHECK(seen.topics == std::vector<std::string>{"orders"});
    CHECK(seen.instances == std::vector<std::string>{"orders-instance"});
  }
  stream->Close();
}

TEST_CASE("AckStream: a stream the component ends is reopened with the first request again") {
  testing::TempDir dir;
  Seen seen;
  FakePubSub service(&seen, 100, /*end_after=*/1);
  Component component(dir.File("c.sock"), &service);
  std::shared_ptr<pubsubpb::PubSub::Stub> stub = StubFor(dir.File("c.sock"));

  std::atomic<int> delivered{0};
  auto stream =
      Engine::Open(OptionsFor(stub), [&](pubsubpb::PullMessagesResponse message, Engine::Ack ack) {
        delivered++;
        ack(AckOf(message));
      });
  REQUIRE(seen.WaitUntil([&] { return seen.topics.size() >= 3; }));
  stream->Close();
  CHECK(delivered >= 2);
  std::lock_guard lock(seen.mutex);
  for (const auto& topic : seen.topics) CHECK(topic == "orders");
}

TEST_CASE("AckStream: closing lets the acks already given reach the component") {
  testing::TempDir dir;
  Seen seen;
  FakePubSub service(&seen, 10);
  Component component(dir.File("c.sock"), &service);
  std::shared_ptr<pubsubpb::PubSub::Stub> stub = StubFor(dir.File("c.sock"));

  Held held;
  auto options = OptionsFor(stub);
  options.graceful_close = 2000ms;
  auto stream = Engine::Open(options, [&](pubsubpb::PullMessagesResponse message, Engine::Ack ack) {
    std::lock_guard lock(held.mutex);
    held.messages.emplace_back(message.id(), std::move(ack));
  });
  REQUIRE(testing::Eventually([&] { return held.Count() == 10; }));
  held.AckAll();
  stream->Close();  // right after the acks: they are still in the outbox or on the wire
  REQUIRE(seen.WaitUntil([&] { return seen.streams_ended == 1; }));
  std::lock_guard lock(seen.mutex);
  CHECK(seen.acks.size() == 10);
}

TEST_CASE("AckStream: Close() from inside a delivery returns, and nothing is delivered after") {
  testing::TempDir dir;
  Seen seen;
  FakePubSub service(&seen, 50);
  Component component(dir.File("c.sock"), &service);
  std::shared_ptr<pubsubpb::PubSub::Stub> stub = StubFor(dir.File("c.sock"));

  std::mutex mutex;
  std::shared_ptr<Engine> stream;
  std::atomic<int> delivered{0};
  std::atomic<bool> closed{false};
  std::atomic<int> after_close{0};
  auto options = OptionsFor(stub);
  options.graceful_close = 500ms;
  {
    std::lock_guard lock(mutex);
    stream = Engine::Open(options, [&](pubsubpb::PullMessagesResponse message, Engine::Ack ack) {
      if (closed) after_close++;
      ack(AckOf(message));
      if (++delivered == 3) {
        std::shared_ptr<Engine> self;
        {
          std::lock_guard lock(mutex);
          self = stream;
        }
        self->Close();  // must not wait for this very delivery
        closed = true;
      }
    });
  }
  REQUIRE(testing::Eventually([&] { return closed.load(); }));
  std::this_thread::sleep_for(100ms);
  CHECK(after_close == 0);
  std::lock_guard lock(mutex);
  stream.reset();
}

}  // namespace
}  // namespace plughost
