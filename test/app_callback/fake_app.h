// What the app_callback tests share: unary calls a fake app holds until the test answers them,
// and an app served in-process on a Unix socket in a fresh directory.
#pragma once

#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "host/app_callback/delivery_context.h"
#include "host/registry/instance_table.h"
#include "support/process.h"

namespace plughost::testing {

// Calls the app received and has not answered, each under a key the test chose (the event's
// data), with a tag (e.g. the binding name) the test may read back.
template <typename Response>
class HeldCalls {
 public:
  // From the service's handler: the call waits for Answer.
  grpc::ServerUnaryReactor* Hold(std::string key, std::string tag,
                                 grpc::CallbackServerContext* context, Response* response) {
    auto* reactor = context->DefaultReactor();
    std::lock_guard lock(mutex_);
    calls_.push_back(Call{std::move(key), std::move(tag), context, response, reactor});
    changed_.notify_all();
    return reactor;
  }

  bool WaitFor(const std::string& key) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return Find(key) != nullptr; });
  }
  size_t count() {
    std::lock_guard lock(mutex_);
    return calls_.size();
  }
  std::string TagOf(const std::string& key) {
    std::lock_guard lock(mutex_);
    const Call* call = Find(key);
    return call != nullptr ? call->tag : "";
  }
  bool Cancelled(const std::string& key) {
    std::lock_guard lock(mutex_);
    const Call* call = Find(key);
    return call != nullptr && call->context->IsCancelled();
  }
  // Fills the response, then finishes the call with `status`.
  void Answer(const std::string& key, const std::function<void(Response*)>& fill,
              const grpc::Status& status = grpc::Status::OK) {
    std::lock_guard lock(mutex_);
    Call* call = Find(key);
    REQUIRE(call != nullptr);
    REQUIRE(call->reactor != nullptr);
    fill(call->response);
    std::exchange(call->reactor, nullptr)->Finish(status);
  }
  // Finishes whatever is still open, so the server can shut down.
  void AnswerRest() {
    std::lock_guard lock(mutex_);
    for (auto& call : calls_) {
      if (call.reactor) std::exchange(call.reactor, nullptr)->Finish(grpc::Status::OK);
    }
  }

 private:
  struct Call {
    std::string key;
    std::string tag;
    grpc::CallbackServerContext* context;
    Response* response;
    grpc::ServerUnaryReactor* reactor;  // null once answered
  };
  Call* Find(const std::string& key) {
    for (auto& call : calls_) {
      if (call.key == key) return &call;
    }
    return nullptr;
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Call> calls_;
};

// `service` served on `app.sock` in a fresh directory until destroyed.
class InProcessApp {
 public:
  explicit InProcessApp(grpc::Service* service) : address_("unix:" + dir_.File("app.sock")) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address_, grpc::InsecureServerCredentials());
    builder.RegisterService(service);
    server_ = builder.BuildAndStart();
    REQUIRE(server_ != nullptr);
  }
  // The owner answers every held call first.
  ~InProcessApp() { server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1)); }
  const std::string& address() const { return address_; }

 private:
  TempDir dir_;
  std::string address_;
  std::unique_ptr<grpc::Server> server_;
};

// The delivery under test on one fake component instance and a fake app: `App` serves the
// app's side, `Component` is registered as instance `name` of `kind`, and the delivery is
// started on a DeliveryContext of its own.
template <typename Delivery, typename Component, typename App>
struct DeliveryFixture {
  DeliveryFixture(ComponentKind kind, const std::string& name)
      : component(std::make_shared<Component>()), served(&app) {
    InstanceInfo info;
    info.name = name;
    info.type = "fake." + name;
    info.kind = kind;
    info.source = "built-in";
    info.component = component;
    REQUIRE(instances.Add(std::move(info)).ok());
    context.instances = &instances;
    context.subscriptions = &subscriptions;
    context.inbound_breakers = &breakers;
    context.app_channel = std::make_shared<AppChannel>(served.address(), "");
    delivery = std::make_unique<Delivery>(&context);
    delivery->Start();
  }
  ~DeliveryFixture() {
    delivery.reset();
    app.AnswerRest();
  }

  std::shared_ptr<Component> component;
  App app;
  InProcessApp served;
  InstanceTable instances;
  ActiveSubscriptions subscriptions;
  delivery::InboundBreakers breakers;
  DeliveryContext context;
  std::unique_ptr<Delivery> delivery;
};

}  // namespace plughost::testing
