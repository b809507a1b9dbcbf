// ComponentSupervisor's shutdown: Stop() must let go of everything it holds, even with probe
// retries waiting, a probe in gRPC's hands and component calls answering after it returned
// (before the fix, pending handlers kept the supervisor alive forever: LeakSanitizer saw it).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "host/lifecycle/component_supervisor.h"
#include "test/discovery/test_servers.h"

namespace plughost {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

// Polls `condition` for a generous bound (never asserted as a timing).
template <typename Condition>
bool Eventually(Condition condition, std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

// A component whose calls are answered by the test, whenever it chooses.
class HeldComponent : public Component {
 public:
  void Init(const InitSpec&, StatusCallback done) override {
    std::lock_guard lock(mutex_);
    init_ = std::move(done);
  }
  std::vector<std::string> Features() const override { return {}; }
  void Ping(StatusCallback done) override { done(grpc::Status::OK); }

  bool HasPendingInit() {
    std::lock_guard lock(mutex_);
    return init_ != nullptr;
  }
  void AnswerInit(grpc::Status status) {
    StatusCallback done;
    {
      std::lock_guard lock(mutex_);
      done = std::move(init_);
    }
    if (done) done(std::move(status));
  }

 private:
  std::mutex mutex_;
  StatusCallback init_;
};

// Options whose callables hold `sentinel`: the sentinel is free again only once the supervisor
// and every handler it left behind are gone.
SupervisorOptions OptionsHolding(const std::string& dir, const std::shared_ptr<int>& sentinel) {
  SupervisorOptions options;
  options.sockets_dir = dir;
  options.ping_interval = 5ms;
  options.probe_timeout = 2s;
  options.prepare_instance = [sentinel](InstanceInfo&) {};
  return options;
}

SocketFactoryMaker MakerHolding(const std::shared_ptr<int>& sentinel) {
  return [sentinel](const DiscoveredSocket&) {
    return std::vector<std::unique_ptr<ComponentFactory>>{};
  };
}

}  // namespace

TEST_CASE("a supervisor stopped before it started lets go of everything", "[lifecycle]") {
  TempDir dir;
  auto sentinel = std::make_shared<int>(0);
  std::weak_ptr<int> held = sentinel;
  InstanceTable instances;
  auto supervisor = std::make_unique<ComponentSupervisor>(OptionsHolding(dir.path(), sentinel),
                                                          &instances, MakerHolding(sentinel));
  sentinel.reset();
  supervisor->Stop();
  supervisor->Stop();  // a second Stop is harmless
  supervisor.reset();
  CHECK(held.expired());
}

TEST_CASE("Stop releases the supervisor with probes retrying and a socket hot-plugged",
          "[lifecycle]") {
  TempDir dir;
  auto sentinel = std::make_shared<int>(0);
  std::weak_ptr<int> held = sentinel;
  InstanceTable instances;
  auto supervisor = std::make_unique<ComponentSupervisor>(OptionsHolding(dir.path(), sentinel),
                                                          &instances, MakerHolding(sentinel));
  sentinel.reset();
  REQUIRE(supervisor->Start());

  // A live component (probed, counted) and a dead socket (refused, so its probe is retried on a
  // timer that Stop must cancel).
  testing::TestServer live(dir.File("live.sock"), {testing::kStateStore},
                           testing::Reflection::kV1Alpha);
  REQUIRE(live.started());
  REQUIRE(testing::MakeDeadSocket(dir.File("dead.sock")));
  REQUIRE(Eventually([&] { return supervisor->counters().sockets_added.load() == 1; }));

  supervisor->Stop();
  supervisor.reset();
  // A probe still in gRPC's hands lets go when it completes; nothing else may hold on.
  CHECK(Eventually([&] { return held.expired(); }));
}

TEST_CASE("an Init answered after Stop does not keep the supervisor alive", "[lifecycle]") {
  TempDir dir;
  auto sentinel = std::make_shared<int>(0);
  std::weak_ptr<int> held = sentinel;
  InstanceTable instances;

  // A pluggable instance that is down while its socket listens: the health check starts a
  // re-Init, which the component answers only after the supervisor has stopped.
  testing::RawListener listener(dir.File("slow.sock"), testing::RawListener::Mode::kHung);
  REQUIRE(listener.started());
  auto component = std::make_shared<HeldComponent>();
  InstanceInfo info;
  info.name = "slow";
  info.type = "state.slow";
  info.kind = ComponentKind::kState;
  info.component = component;
  info.socket_path = dir.File("slow.sock");
  info.health->MarkUnavailable("down for the test");
  auto health = info.health;
  REQUIRE(instances.Add(std::move(info)).ok());

  auto supervisor = std::make_unique<ComponentSupervisor>(OptionsHolding(dir.path(), sentinel),
                                                          &instances, MakerHolding(sentinel));
  sentinel.reset();
  REQUIRE(supervisor->Start());
  REQUIRE(Eventually([&] { return component->HasPendingInit(); }));
  CHECK(health->state() == InstanceHealth::State::kReinitializing);

  supervisor->Stop();
  supervisor.reset();
  CHECK_FALSE(held.expired());  // the pending Init's callback still holds the supervisor
  component->AnswerInit(grpc::Status::OK);
  CHECK(held.expired());
  // Its answer came too late to act on: the instance was not marked ready by a stopped host.
  CHECK(health->state() == InstanceHealth::State::kReinitializing);
}

}  // namespace plughost
