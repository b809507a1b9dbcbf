// Outbound policies (host/resiliency): a state store decorated with its component's policy
// retries failed calls as the retry policy says, bounds each attempt by the timeout, and stops
// calling the component while its circuit breaker is open.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "host/components/bindings.h"
#include "host/components/pubsub.h"
#include "host/components/state_errors.h"
#include "host/components/state_store.h"
#include "host/resiliency/outbound_components.h"

namespace plughost {
namespace {

using namespace std::chrono_literals;

// Fails its first `failures` calls with `failure`, then succeeds; answers inline, as a built-in
// does. Records each call's fallback deadline.
class FlakyStore final : public StateStore {
 public:
  explicit FlakyStore(int failures,
                      grpc::Status failure = {grpc::StatusCode::UNAVAILABLE, "store is down"})
      : failures_(failures), failure_(std::move(failure)) {}

  void Init(const InitSpec&, StatusCallback done) override { done(grpc::Status::OK); }
  std::vector<std::string> Features() const override { return {kFeatureETag}; }
  void Ping(StatusCallback done) override { done(grpc::Status::OK); }

  void Get(statepb::GetRequest request, const CallOptions& options,
           Callback<statepb::GetResponse> done) override {
    statepb::GetResponse response;
    grpc::Status status = Attempt(options);
    if (status.ok()) response.set_data("value of " + request.key());
    done(std::move(status), std::move(response));
  }
  void Set(statepb::SetRequest, const CallOptions& options, StatusCallback done) override {
    done(Attempt(options));
  }
  void Delete(statepb::DeleteRequest, const CallOptions& options, StatusCallback done) override {
    done(Attempt(options));
  }
  void BulkGet(statepb::BulkGetRequest, const CallOptions& options,
               Callback<statepb::BulkGetResponse> done) override {
    done(Attempt(options), {});
  }
  void BulkSet(statepb::BulkSetRequest, const CallOptions& options, StatusCallback done) override {
    done(Attempt(options));
  }
  void BulkDelete(statepb::BulkDeleteRequest, const CallOptions& options,
                  StatusCallback done) override {
    done(Attempt(options));
  }
  void Transact(statepb::TransactionalStateRequest, const CallOptions& options,
                StatusCallback done) override {
    done(Attempt(options));
  }
  void Query(statepb::QueryRequest, const CallOptions& options,
             Callback<statepb::QueryResponse> done) override {
    done(Attempt(options), {});
  }
  void MultiMaxSize(Callback<int64_t> done) override { done(grpc::Status::OK, -1); }

  int calls() const { return calls_.load(); }
  std::vector<std::chrono::milliseconds> timeouts() {
    std::lock_guard lock(mutex_);
    return timeouts_;
  }

 private:
  grpc::Status Attempt(const CallOptions& options) {
    {
      std::lock_guard lock(mutex_);
      timeouts_.push_back(options.default_timeout);
    }
    return calls_.fetch_add(1) < failures_ ? failure_ : grpc::Status::OK;
  }

  const int failures_;
  const grpc::Status failure_;
  std::atomic<int> calls_{0};
  std::mutex mutex_;
  std::vector<std::chrono::milliseconds> timeouts_;
};

DeliveryPolicySpec ConstantRetry(std::chrono::milliseconds duration, int max_retries) {
  DeliveryPolicySpec policy;
  policy.retry.emplace();
  policy.retry->duration = duration;
  policy.retry->max_retries = max_retries;
  return policy;
}

struct Decorated {
  std::shared_ptr<FlakyStore> fake;
  std::shared_ptr<Component> component;
  StateStore* store() const { return static_cast<StateStore*>(component.get()); }
};

Decorated Decorate(std::shared_ptr<FlakyStore> fake, const DeliveryPolicySpec& policy) {
  auto component = WithOutboundPolicy(ComponentKind::kState, "statestore", policy, fake);
  REQUIRE(component != fake);
  return {std::move(fake), std::move(component)};
}

// The outcome of a Get, waited for (the retries wait on gRPC alarms, on other threads).
std::pair<grpc::Status, statepb::GetResponse> GetKey(StateStore* store, CallOptions options = {}) {
  auto promise = std::make_shared<std::promise<std::pair<grpc::Status, statepb::GetResponse>>>();
  auto future = promise->get_future();
  statepb::GetRequest request;
  request.set_key("k");
  store->Get(request, options, [promise](grpc::Status status, statepb::GetResponse response) {
    promise->set_value({std::move(status), std::move(response)});
  });
  REQUIRE(future.wait_for(30s) == std::future_status::ready);
  return future.get();
}

grpc::Status SetKey(StateStore* store) {
  auto promise = std::make_shared<std::promise<grpc::Status>>();
  auto future = promise->get_future();
  statepb::SetRequest request;
  request.set_key("k");
  store->Set(request, {}, [promise](grpc::Status status) { promise->set_value(status); });
  REQUIRE(future.wait_for(30s) == std::future_status::ready);
  return future.get();
}

TEST_CASE("outbound: a constant retry policy retries until the call succeeds") {
  auto d = Decorate(std::make_shared<FlakyStore>(2), ConstantRetry(20ms, 3));
  auto [status, response] = GetKey(d.store());
  CHECK(status.ok());
  CHECK(response.data() == "value of k");  // the request survives its retries
  CHECK(d.fake->calls() == 3);
}

TEST_CASE("outbound: maxRetries bounds the attempts; the last failure reaches the caller") {
  auto d = Decorate(std::make_shared<FlakyStore>(100), ConstantRetry(10ms, 2));
  auto [status, response] = GetKey(d.store());
  CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(status.error_message() == "store is down");
  CHECK(d.fake->calls() == 3);  // the first attempt and two retries
}

TEST_CASE("outbound: an exponential retry policy retries until the call succeeds") {
  DeliveryPolicySpec policy = ConstantRetry(0ms, 5);
  policy.retry->policy = RetryPolicySpec::Policy::kExponential;
  policy.retry->max_interval = 600ms;
  auto d = Decorate(std::make_shared<FlakyStore>(2), policy);
  CHECK(GetKey(d.store()).first.ok());
  CHECK(d.fake->calls() == 3);
}

TEST_CASE("outbound: an ETag conflict is not retried") {
  auto fake = std::make_shared<FlakyStore>(
      100, EtagMismatchError("possible etag mismatch. error from state store: x"));
  auto d = Decorate(fake, ConstantRetry(10ms, 5));
  CHECK(SetKey(d.store()).error_code() == grpc::StatusCode::ABORTED);
  CHECK(d.fake->calls() == 1);
  // A malformed ETag neither.
  auto invalid = Decorate(std::make_shared<FlakyStore>(100, EtagInvalidError("bad etag")),
                          ConstantRetry(10ms, 5));
  CHECK(SetKey(invalid.store()).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(invalid.fake->calls() == 1);
}

TEST_CASE(
    "outbound: each attempt's deadline is the policy's timeout, never longer than the "
    "caller's") {
  DeliveryPolicySpec policy = ConstantRetry(10ms, 1);
  policy.timeout = 250ms;
  auto d = Decorate(std::make_shared<FlakyStore>(1), policy);
  CallOptions options;
  options.default_timeout = 30s;
  CHECK(GetKey(d.store(), options).first.ok());
  CHECK(d.fake->timeouts() == std::vector<std::chrono::milliseconds>{250ms, 250ms});

  // A timeout alone needs no retry state: the call goes straight through, bounded.
  DeliveryPolicySpec timeout_only;
  timeout_only.timeout = 5s;
  auto bounded = Decorate(std::make_shared<FlakyStore>(0), timeout_only);
  options.default_timeout = 100ms;  // the caller's own bound is tighter
  CHECK(GetKey(bounded.store(), options).first.ok());
  CHECK(bounded.fake->timeouts() == std::vector<std::chrono::milliseconds>{100ms});
}

TEST_CASE("outbound: an open circuit breaker fails calls at once without calling the store") {
  DeliveryPolicySpec policy;
  policy.circuit_breaker.emplace();
  policy.circuit_breaker->name = "cb";
  policy.circuit_breaker->trip = "consecutiveFailures >= 2";
  policy.circuit_breaker->timeout = 60s;
  auto d = Decorate(std::make_shared<FlakyStore>(100), policy);
  CHECK(GetKey(d.store()).first.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(GetKey(d.store()).first.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(d.fake->calls() == 2);
  auto [status, response] = GetKey(d.store());
  CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(status.error_message() == "circuit breaker 'cb' of component 'statestore' is open");
  CHECK(d.fake->calls() == 2);  // refused before reaching the store
}

TEST_CASE("outbound: a breaker that opens during retries ends them") {
  DeliveryPolicySpec policy = ConstantRetry(10ms, 10);
  policy.circuit_breaker.emplace();
  policy.circuit_breaker->name = "cb";
  policy.circuit_breaker->trip = "consecutiveFailures >= 3";
  auto d = Decorate(std::make_shared<FlakyStore>(100), policy);
  auto [status, response] = GetKey(d.store());
  CHECK(status.error_message() == "circuit breaker 'cb' of component 'statestore' is open");
  CHECK(d.fake->calls() == 3);
}

// A pubsub whose first `failures` publishes fail; Subscribe hands back a marker subscription.
class FlakyPubSub final : public PubSub {
 public:
  explicit FlakyPubSub(int failures) : failures_(failures) {}
  void Init(const InitSpec&, StatusCallback done) override { done(grpc::Status::OK); }
  std::vector<std::string> Features() const override { return {}; }
  void Ping(StatusCallback done) override { done(grpc::Status::OK); }
  void Publish(pubsubpb::PublishRequest request, const CallOptions&, StatusCallback done) override {
    topics_.push_back(request.topic());
    done(static_cast<int>(topics_.size()) <= failures_
             ? grpc::Status(grpc::StatusCode::INTERNAL, "broker hiccup")
             : grpc::Status::OK);
  }
  void BulkPublish(pubsubpb::BulkPublishRequest, const CallOptions&,
                   Callback<pubsubpb::BulkPublishResponse> done) override {
    done(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no bulk"), {});
    ++bulk_calls_;
  }
  std::unique_ptr<Subscription> Subscribe(pubsubpb::Topic, MessageHandler) override {
    ++subscribes_;
    return nullptr;
  }
  // Touched only by the thread that calls (inline answers, alarm waits joined by the future).
  std::vector<std::string> topics_;
  int bulk_calls_ = 0;
  int subscribes_ = 0;

 private:
  const int failures_;
};

TEST_CASE("outbound: publishes are retried; UNIMPLEMENTED is not; subscriptions go through") {
  auto fake = std::make_shared<FlakyPubSub>(2);
  auto component =
      WithOutboundPolicy(ComponentKind::kPubSub, "pubsub", ConstantRetry(10ms, 5), fake);
  auto* pubsub = static_cast<PubSub*>(component.get());
  auto promise = std::make_shared<std::promise<grpc::Status>>();
  auto future = promise->get_future();
  pubsubpb::PublishRequest request;
  request.set_topic("orders");
  pubsub->Publish(request, {}, [promise](grpc::Status status) { promise->set_value(status); });
  REQUIRE(future.wait_for(30s) == std::future_status::ready);
  CHECK(future.get().ok());
  CHECK(fake->topics_ == std::vector<std::string>{"orders", "orders", "orders"});

  auto bulk = std::make_shared<std::promise<grpc::Status>>();
  auto bulk_future = bulk->get_future();
  pubsub->BulkPublish({}, {}, [bulk](grpc::Status status, pubsubpb::BulkPublishResponse) {
    bulk->set_value(status);
  });
  REQUIRE(bulk_future.wait_for(30s) == std::future_status::ready);
  CHECK(bulk_future.get().error_code() == grpc::StatusCode::UNIMPLEMENTED);
  CHECK(fake->bulk_calls_ == 1);

  CHECK(pubsub->Subscribe({}, nullptr) == nullptr);
  CHECK(fake->subscribes_ == 1);
}

TEST_CASE("outbound: kinds without outbound calls are left as they are") {
  std::shared_ptr<Component> store = std::make_shared<FlakyStore>(0);
  CHECK(WithOutboundPolicy(ComponentKind::kSequencer, "seq", ConstantRetry(1s, 1), store) == store);
  CHECK(WithOutboundPolicy(ComponentKind::kInputBinding, "in", ConstantRetry(1s, 1), store) ==
        store);
}

TEST_CASE("outbound: which policy an instance gets") {
  OutboundPolicies policies;
  policies.by_component["statestore"] = ConstantRetry(1s, 1);
  policies.by_component["inbound-only"] = {};  // a target without outbound: no default
  policies.defaults_by_type["Statestore"] = ConstantRetry(2s, 2);
  auto own = OutboundPolicyOf(policies, ComponentKind::kState, "statestore");
  REQUIRE(own.has_value());
  CHECK(own->retry->max_retries == 1);
  auto fallback = OutboundPolicyOf(policies, ComponentKind::kState, "other");
  REQUIRE(fallback.has_value());
  CHECK(fallback->retry->max_retries == 2);
  CHECK_FALSE(OutboundPolicyOf(policies, ComponentKind::kState, "inbound-only"));
  CHECK_FALSE(OutboundPolicyOf(policies, ComponentKind::kPubSub, "other"));
  policies.by_component["seq"] = ConstantRetry(1s, 1);
  CHECK_FALSE(OutboundPolicyOf(policies, ComponentKind::kSequencer, "seq"));
}

TEST_CASE("outbound: lifecycle calls and features go straight to the component") {
  auto d = Decorate(std::make_shared<FlakyStore>(100), ConstantRetry(10ms, 3));
  CHECK(d.component->Features() == std::vector<std::string>{kFeatureETag});
  bool pinged = false;
  d.component->Ping([&pinged](grpc::Status status) { pinged = status.ok(); });
  CHECK(pinged);
  CHECK(d.fake->calls() == 0);
}

}  // namespace
}  // namespace plughost
