// The SDK's bases for lock, sequencer, output binding, pub/sub and configuration: small in-memory
// implementations (half on worker pools, half inline) served by one ComponentServer on a real
// socket, checked by the real `plughost conformance` binary, kind by kind.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include <grpcpp/grpcpp.h>

#include "plughost/components/v1/sequencer.grpc.pb.h"
#include "sdk/cpp/component_server.h"
#include "test/support/process.h"

namespace plughost::sdk {
namespace {

using namespace std::chrono_literals;
using plughost::testing::ChildProcess;
using plughost::testing::RequiredEnv;
using plughost::testing::TempDir;

class MemoryLock : public LockStore {
 public:
  WorkerPool* workers() override { return &workers_; }
  grpc::Status TryLock(const lockpb::TryLockRequest& request,
                       lockpb::TryLockResponse* response) override {
    std::lock_guard lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    auto it = held_.find(request.resource_id());
    if (it != held_.end() && it->second.expiry > now) return grpc::Status::OK;
    held_[request.resource_id()] = {request.lock_owner(),
                                    now + std::chrono::seconds(request.expiry_in_seconds())};
    response->set_success(true);
    return grpc::Status::OK;
  }
  grpc::Status Unlock(const lockpb::UnlockRequest& request,
                      lockpb::UnlockResponse* response) override {
    std::lock_guard lock(mutex_);
    auto it = held_.find(request.resource_id());
    if (it == held_.end() || it->second.expiry <= std::chrono::steady_clock::now()) {
      response->set_status(lockpb::UnlockResponse::LOCK_DOES_NOT_EXIST);
    } else if (it->second.owner != request.lock_owner()) {
      response->set_status(lockpb::UnlockResponse::LOCK_BELONGS_TO_OTHERS);
    } else {
      held_.erase(it);
      response->set_status(lockpb::UnlockResponse::SUCCESS);
    }
    return grpc::Status::OK;
  }

 private:
  struct Held {
    std::string owner;
    std::chrono::steady_clock::time_point expiry;
  };
  std::mutex mutex_;
  std::map<std::string, Held> held_;
  WorkerPool workers_{2};
};

class MemorySequencer : public Sequencer {
 public:
  grpc::Status GetNextId(const sequencerpb::GetNextIdRequest& request,
                         sequencerpb::GetNextIdResponse* response) override {
    std::lock_guard lock(mutex_);
    response->set_next_id(++next_[request.key()]);
    return grpc::Status::OK;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, int64_t> next_;
};

class EchoBinding : public OutputBinding {
 public:
  WorkerPool* workers() override { return &workers_; }
  std::vector<std::string> Operations() override { return {"echo"}; }
  grpc::Status Invoke(const bindingpb::InvokeRequest& request,
                      bindingpb::InvokeResponse* response) override {
    if (request.operation() != "echo") {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "unsupported operation");
    }
    response->set_data(request.data());
    return grpc::Status::OK;
  }

 private:
  WorkerPool workers_{1};
};

// Every message goes to the newest subscription of its topic; a rejected one is sent again.
class MemoryPubSub : public PubSub, public std::enable_shared_from_this<MemoryPubSub> {
 public:
  WorkerPool* workers() override { return &workers_; }
  std::vector<std::string> Features() override { return {"BULK_PUBSUB"}; }

  class Sub : public TopicSubscription {
   public:
    Sub(std::shared_ptr<MessageStream> stream, std::string topic)
        : stream_(std::move(stream)), topic_(std::move(topic)) {}
    void Deliver(const std::string& data) {
      pubsubpb::PullMessagesResponse message;
      std::lock_guard lock(mutex_);
      std::string id = std::to_string(++next_id_);
      message.set_id(id);
      message.set_topic_name(topic_);
      message.set_data(data);
      unacked_[id] = data;
      stream_->Send(std::move(message));
    }
    void OnAck(const std::string& id, const std::optional<std::string>& error) override {
      std::string data;
      {
        std::lock_guard lock(mutex_);
        auto it = unacked_.find(id);
        if (it == unacked_.end()) return;
        data = it->second;
        unacked_.erase(it);
      }
      if (error) Deliver(data);
    }
    void Close() override { closed_ = true; }
    bool closed() const { return closed_; }

   private:
    std::shared_ptr<MessageStream> stream_;
    std::string topic_;
    std::mutex mutex_;
    int next_id_ = 0;
    std::map<std::string, std::string> unacked_;
    std::atomic<bool> closed_{false};
  };

  grpc::Status Publish(const pubsubpb::PublishRequest& request) override {
    std::shared_ptr<Sub> target;
    {
      std::lock_guard lock(mutex_);
      auto& subs = topics_[request.topic()];
      std::erase_if(subs, [](const auto& sub) { return sub->closed(); });
      if (!subs.empty()) target = subs.back();
    }
    if (target) target->Deliver(request.data());
    return grpc::Status::OK;
  }
  absl::StatusOr<std::shared_ptr<TopicSubscription>> Subscribe(
      const pubsubpb::Topic& topic, std::shared_ptr<MessageStream> stream) override {
    auto sub = std::make_shared<Sub>(std::move(stream), topic.name());
    std::lock_guard lock(mutex_);
    topics_[topic.name()].push_back(sub);
    return sub;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::vector<std::shared_ptr<Sub>>> topics_;
  WorkerPool workers_{2};
};

// Items come from Init metadata.
class MemoryConfiguration : public ConfigurationStore {
 public:
  grpc::Status Init(const Metadata& metadata) override {
    std::lock_guard lock(mutex_);
    items_ = metadata;
    return grpc::Status::OK;
  }
  grpc::Status Get(const configpb::GetConfigurationRequest& request,
                   configpb::GetConfigurationResponse* response) override {
    std::lock_guard lock(mutex_);
    for (const auto& [key, value] : items_) {
      if (request.keys().empty() ||
          std::find(request.keys().begin(), request.keys().end(), key) != request.keys().end()) {
        auto& item = (*response->mutable_items())[key];
        item.set_value(value);
        item.set_version("1");
      }
    }
    return grpc::Status::OK;
  }
  grpc::Status Subscribe(const configpb::SubscribeConfigurationRequest&,
                         std::shared_ptr<ConfigurationUpdates> updates) override {
    std::lock_guard lock(mutex_);
    subscriptions_.insert(updates->id());
    return grpc::Status::OK;
  }
  void Unsubscribe(const std::string& id) override {
    std::lock_guard lock(mutex_);
    subscriptions_.erase(id);
  }

 private:
  std::mutex mutex_;
  Metadata items_;
  std::set<std::string> subscriptions_;
};

std::string RunKit(const TempDir& dir, const std::vector<std::string>& args, int* exit_code) {
  std::vector<std::string> argv = {RequiredEnv("PLUGHOST_BIN"), "conformance", "--socket",
                                   dir.File("kinds.sock")};
  argv.insert(argv.end(), args.begin(), args.end());
  static int runs = 0;
  auto process = ChildProcess::Spawn(argv, dir.File("kit-" + std::to_string(++runs) + ".log"));
  auto code = process->WaitExit(120s);
  REQUIRE(code.has_value());
  *exit_code = *code;
  return process->Log();
}

}  // namespace

TEST_CASE("every kind base passes plughost conformance", "[sdk]") {
  TempDir dir;
  ComponentServer server("kinds");
  server.AddLock<MemoryLock>();
  server.AddSequencer<MemorySequencer>();
  server.AddOutputBinding<EchoBinding>();
  server.AddPubSub<MemoryPubSub>();
  server.AddConfiguration<MemoryConfiguration>();
  REQUIRE(server.Start(dir.File("kinds.sock")).ok());

  for (const char* kind : {"lock", "sequencer", "bindings", "pubsub", "configuration"}) {
    DYNAMIC_SECTION(kind) {
      int exit_code = -1;
      std::string output = RunKit(dir, {"--kind", kind, "--metadata", "color=blue"}, &exit_code);
      INFO(output);
      CHECK(exit_code == 0);
      CHECK_THAT(output, Catch::Contains(" 0 failed"));
      CHECK_THAT(output, !Catch::Contains("SKIP " + std::string(kind) + "/get-known"));
    }
  }
  server.Shutdown();
}

namespace {

// A sequencer whose calls block until the test opens the gate: they must run on its workers.
class GatedSequencer : public Sequencer {
 public:
  WorkerPool* workers() override { return &workers_; }
  grpc::Status GetNextId(const sequencerpb::GetNextIdRequest& request,
                         sequencerpb::GetNextIdResponse* response) override {
    std::unique_lock lock(mutex_);
    opened_.wait(lock, [&] { return open_ || request.key() == "free"; });
    response->set_next_id(++next_);
    return grpc::Status::OK;
  }
  static void Open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    opened_.notify_all();
  }

 private:
  static inline std::mutex mutex_;
  static inline std::condition_variable opened_;
  static inline bool open_ = false;
  int64_t next_ = 0;
  WorkerPool workers_{2};
};

}  // namespace

TEST_CASE("methods on a worker pool block neither gRPC's threads nor other calls", "[sdk]") {
  TempDir dir;
  ComponentServer server("gated");
  server.AddSequencer<GatedSequencer>();
  REQUIRE(server.Start(dir.File("gated.sock")).ok());
  auto channel =
      grpc::CreateChannel("unix:" + dir.File("gated.sock"), grpc::InsecureChannelCredentials());
  auto stub = sequencerpb::Sequencer::NewStub(channel);
  auto call = [&](const std::string& key, std::chrono::milliseconds deadline) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + deadline);
    sequencerpb::GetNextIdRequest request;
    request.set_key(key);
    sequencerpb::GetNextIdResponse response;
    grpc::Status status = stub->GetNextId(&context, request, &response);
    return std::make_pair(status, response.next_id());
  };
  // A blocked call gives up on its deadline; its worker is still busy with it.
  CHECK(call("blocked", 300ms).first.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  // Ping and Features run inline and answer meanwhile; a call that does not block answers on
  // the second worker.
  grpc::ClientContext ping_context;
  ping_context.set_deadline(std::chrono::system_clock::now() + 5s);
  dapr::proto::components::v1::PingResponse pong;
  CHECK(stub->Ping(&ping_context, {}, &pong).ok());
  CHECK(call("free", 5s).first.ok());
  GatedSequencer::Open();
  // The abandoned call's reply went nowhere; the next calls answer.
  auto [status, id] = call("blocked", 5s);
  CHECK(status.ok());
  CHECK(id >= 2);  // the abandoned call ran too, before or after it
  server.Shutdown();
}

}  // namespace plughost::sdk
