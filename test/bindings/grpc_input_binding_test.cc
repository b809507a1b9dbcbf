// The InputBinding wrapper against an in-process component on a real Unix socket: events reach
// the handler, replies reach the component as acks, and the stream comes back after the
// component restarts.
#include "wrappers/bindings/grpc_input_binding.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace plughost {
namespace {

using namespace std::chrono_literals;

// What the fake component saw, shared by its streams.
struct Seen {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<bindingspb::ReadRequest> acks;
  std::vector<std::string> read_instances;  // x-component-instance of each Read
  int open_streams = 0;

  template <typename Predicate>
  bool WaitUntil(Predicate predicate) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 10s, [&] { return predicate(); });
  }
};

// Sends its events, then records acks until the host goes away.
class FakeReadStream final
    : public grpc::ServerBidiReactor<bindingspb::ReadRequest, bindingspb::ReadResponse> {
 public:
  FakeReadStream(Seen* seen, std::vector<bindingspb::ReadResponse> events)
      : seen_(seen), events_(std::move(events)) {
    {
      std::lock_guard lock(seen_->mutex);
      seen_->open_streams++;
    }
    seen_->changed.notify_all();
    StartRead(&ack_);
    std::lock_guard lock(mutex_);
    WriteNextLocked();
  }
  void OnReadDone(bool ok) override {
    if (!ok) {
      End();
      return;
    }
    {
      std::lock_guard lock(seen_->mutex);
      seen_->acks.push_back(ack_);
    }
    seen_->changed.notify_all();
    StartRead(&ack_);
  }
  void OnWriteDone(bool /*ok*/) override {
    std::lock_guard lock(mutex_);
    writing_ = false;
    ++next_;
    WriteNextLocked();
  }
  void OnCancel() override { End(); }
  void OnDone() override {
    {
      std::lock_guard lock(seen_->mutex);
      seen_->open_streams--;
    }
    seen_->changed.notify_all();
    delete this;
  }

 private:
  void End() {
    std::lock_guard lock(mutex_);
    ending_ = true;
    WriteNextLocked();
  }
  void WriteNextLocked() {
    if (writing_ || finished_) return;
    if (ending_) {
      finished_ = true;
      Finish(grpc::Status::CANCELLED);
    } else if (next_ < events_.size()) {
      writing_ = true;
      StartWrite(&events_[next_]);
    }
  }

  Seen* seen_;
  std::vector<bindingspb::ReadResponse> events_;
  bindingspb::ReadRequest ack_;
  std::mutex mutex_;
  size_t next_ = 0;
  bool writing_ = false;
  bool ending_ = false;
  bool finished_ = false;
};

class FakeInputBinding final : public bindingspb::InputBinding::CallbackService {
 public:
  FakeInputBinding(Seen* seen, std::vector<bindingspb::ReadResponse> events)
      : seen_(seen), events_(std::move(events)) {}

  grpc::ServerUnaryReactor* Init(grpc::CallbackServerContext* context,
                                 const bindingspb::InputBindingInitRequest*,
                                 bindingspb::InputBindingInitResponse*) override {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerBidiReactor<bindingspb::ReadRequest, bindingspb::ReadResponse>* Read(
      grpc::CallbackServerContext* context) override {
    auto header = context->client_metadata().find("x-component-instance");
    {
      std::lock_guard lock(seen_->mutex);
      seen_->read_instances.emplace_back(
          header == context->client_metadata().end()
              ? ""
              : std::string(header->second.data(), header->second.size()));
    }
    return new FakeReadStream(seen_, events_);
  }
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const bindingspb::PingRequest*,
                                 bindingspb::PingResponse*) override {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  Seen* seen_;
  std::vector<bindingspb::ReadResponse> events_;
};

bindingspb::ReadResponse Event(const std::string& id, const std::string& data) {
  bindingspb::ReadResponse event;
  event.set_message_id(id);
  event.set_data(data);
  (*event.mutable_metadata())["origin"] = "fake";
  return event;
}

// One run of the fake component on `socket`.
struct FakeComponent {
  FakeComponent(const std::string& socket, Seen* seen, std::vector<bindingspb::ReadResponse> events)
      : service(seen, std::move(events)) {
    ::unlink(socket.c_str());
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + socket, grpc::InsecureServerCredentials());
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
  }
  ~FakeComponent() { Stop(); }
  void Stop() {
    if (server) server->Shutdown(std::chrono::system_clock::now() + 200ms);
    server.reset();
  }
  FakeInputBinding service;
  std::unique_ptr<grpc::Server> server;
};

struct Handled {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<bindingspb::ReadResponse> events;

  bool WaitFor(size_t count) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 10s, [&] { return events.size() >= count; });
  }
};

}  // namespace

TEST_CASE("GrpcInputBinding: events in, acks out, and the stream survives a restart",
          "[bindings][wrapper]") {
  std::string socket = "/tmp/ph-input-binding-" + std::to_string(::getpid()) + ".sock";
  Seen seen;
  auto component = std::make_unique<FakeComponent>(
      socket, &seen, std::vector{Event("m1", "one"), Event("m2", "two")});
  REQUIRE(component->server);

  GrpcInputBinding binding(socket, "inputs");
  grpc::Status init(grpc::StatusCode::UNKNOWN, "pending");
  std::mutex init_mutex;
  std::condition_variable init_done;
  binding.Init(InitSpec{"inputs", "bindings.fake", {}}, [&](grpc::Status status) {
    std::lock_guard lock(init_mutex);
    init = std::move(status);
    init_done.notify_all();
  });
  {
    std::unique_lock lock(init_mutex);
    REQUIRE(init_done.wait_for(lock, 10s,
                               [&] { return init.error_code() != grpc::StatusCode::UNKNOWN; }));
  }
  REQUIRE(init.ok());

  // The handler answers "one" with data and "two" with an error.
  Handled handled;
  auto subscription =
      binding.Read([&](bindingspb::ReadResponse event, Callback<std::string> reply) {
        if (event.data() == "two") {
          reply(grpc::Status(grpc::StatusCode::INTERNAL, "app refused two"), "");
        } else {
          reply(grpc::Status::OK, "handled " + event.data());
        }
        {
          std::lock_guard lock(handled.mutex);
          handled.events.push_back(std::move(event));
        }
        handled.changed.notify_all();
      });

  REQUIRE(handled.WaitFor(2));
  REQUIRE(seen.WaitUntil([&] { return seen.acks.size() >= 2; }));
  {
    std::lock_guard lock(seen.mutex);
    CHECK(seen.read_instances.at(0) == "inputs");
    std::map<std::string, bindingspb::ReadRequest> acks;
    for (const auto& ack : seen.acks) acks[ack.message_id()] = ack;
    REQUIRE(acks.count("m1"));
    REQUIRE(acks.count("m2"));
    CHECK(acks["m1"].response_data() == "handled one");
    CHECK_FALSE(acks["m1"].has_response_error());
    CHECK(acks["m2"].response_error().message() == "app refused two");
  }
  {
    std::lock_guard lock(handled.mutex);
    CHECK(handled.events[0].metadata().at("origin") == "fake");
  }

  // The component goes away and comes back on the same socket: the stream is re-opened.
  component->Stop();
  component = std::make_unique<FakeComponent>(socket, &seen, std::vector{Event("m3", "three")});
  REQUIRE(component->server);
  REQUIRE(handled.WaitFor(3));
  REQUIRE(seen.WaitUntil([&] { return seen.acks.size() >= 3; }));
  {
    std::lock_guard lock(seen.mutex);
    CHECK(seen.acks.back().message_id() == "m3");
    CHECK(seen.acks.back().response_data() == "handled three");
  }

  // Closing cancels the stream at the component.
  subscription->Close();
  CHECK(seen.WaitUntil([&] { return seen.open_streams == 0; }));
  component->Stop();
  ::unlink(socket.c_str());
}

}  // namespace plughost
