// ComponentSupervisor's shutdown: Stop() must let go of everything it holds, even with probe
// retries waiting, a probe in gRPC's hands and component calls answering after it returned
// (before the fix, pending handlers kept the supervisor alive forever: LeakSanitizer saw it).
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

// SO_PEERCRED: the test cannot start a process of another user, so the uid expected is injected
// (SupervisorOptions::expected_peer_uid) instead: the listener, of our uid, is then the stranger.
TEST_CASE("a socket served by an unexpected uid gets no Init", "[lifecycle]") {
  TempDir dir;
  InstanceTable instances;
  testing::RawListener listener(dir.File("stolen.sock"), testing::RawListener::Mode::kHung);
  REQUIRE(listener.started());
  auto component = std::make_shared<HeldComponent>();
  InstanceInfo info;
  info.name = "stolen";
  info.type = "state.stolen";
  info.kind = ComponentKind::kState;
  info.component = component;
  info.socket_path = dir.File("stolen.sock");
  info.health->MarkUnavailable("down for the test");
  auto health = info.health;
  REQUIRE(instances.Add(std::move(info)).ok());

  SupervisorOptions options;
  options.sockets_dir = dir.path();
  options.ping_interval = 5ms;
  options.expected_peer_uid = ::getuid() + 1;
  ComponentSupervisor supervisor(options, &instances, MakerHolding(nullptr));
  REQUIRE(supervisor.Start());
  // Many health ticks pass (each would re-Init a trusted socket, see the case above).
  REQUIRE(Eventually([&] { return health->reason().find("another user") != std::string::npos; }));
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(component->HasPendingInit());
  CHECK(health->state() == InstanceHealth::State::kUnavailable);
  supervisor.Stop();
}

// The real thing, where the test runs as root: the socket was first served by us; a process
// of another user (nobody) binds the path after it went away and gets no Init.
TEST_CASE("a process of another user that takes over a socket path gets no Init", "[lifecycle]") {
  if (::geteuid() != 0) {
    WARN("not root: cannot start a process of another user; covered by the injected-uid case");
    return;
  }
  TempDir dir;
  ::chmod(dir.path().c_str(), 0777);
  InstanceTable instances;
  auto listener = std::make_unique<testing::RawListener>(dir.File("taken.sock"),
                                                         testing::RawListener::Mode::kHung);
  REQUIRE(listener->started());
  auto component = std::make_shared<HeldComponent>();
  InstanceInfo info;
  info.name = "taken";
  info.type = "state.taken";
  info.kind = ComponentKind::kState;
  info.component = component;
  info.socket_path = dir.File("taken.sock");
  auto health = info.health;
  REQUIRE(instances.Add(std::move(info)).ok());
  SupervisorOptions options;
  options.sockets_dir = dir.path();
  options.ping_interval = 5ms;
  options.probe_timeout = 50ms;  // the stranger never answers a probe: do not wait long for it
  ComponentSupervisor supervisor(options, &instances, MakerHolding(nullptr));
  REQUIRE(supervisor.Start());  // sees uid 0 serving the socket

  // The component dies and its socket goes; the stranger binds the same path.
  listener.reset();
  ::unlink(dir.File("taken.sock").c_str());
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) _exit(1);
    testing::RawListener stranger(dir.File("taken.sock"), testing::RawListener::Mode::kHung);
    char byte = stranger.started() ? 1 : 0;
    (void)!::write(ready[1], &byte, 1);
    ::pause();
    _exit(0);
  }
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);
  REQUIRE(byte == 1);
  health->MarkUnavailable("its socket was removed");  // what inotify reports, without the wait
  CHECK(Eventually([&] { return health->reason().find("another user") != std::string::npos; }));
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(component->HasPendingInit());
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  supervisor.Stop();
}

}  // namespace plughost
