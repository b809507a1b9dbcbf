// A socket folder full of bad entries: every good component still registers, each bad entry
// is skipped with one log line, and startup stays fast because probes run in parallel.
#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <poll.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "dapr/proto/components/v1/state.grpc.pb.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {
namespace rt = ::dapr::proto::runtime::v1;

int BindUnix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  return fd;
}

// A socket that is silent until told otherwise: it listens but accepts nothing (connections
// wait in its backlog, as with a component still starting up); after ForwardTo it accepts
// every connection, queued ones included, and pumps its bytes to a real component's socket.
class HeldListener {
 public:
  explicit HeldListener(const std::string& path) : fd_(BindUnix(path)) {
    REQUIRE(::listen(fd_, 64) == 0);
  }
  ~HeldListener() {
    stop_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    for (auto& pump : pumps_) pump.join();
    ::close(fd_);
  }

  void ForwardTo(const std::string& target) {
    acceptor_ = std::thread([this, target] {
      while (!stop_) {
        pollfd ready{fd_, POLLIN, 0};
        if (::poll(&ready, 1, 50) <= 0) continue;
        int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        int upstream = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, target.c_str(), sizeof(addr.sun_path) - 1);
        if (::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
          ::close(client);
          ::close(upstream);
          continue;
        }
        pumps_.emplace_back([this, client, upstream] { Pump(client, upstream); });
      }
    });
  }

 private:
  void Pump(int a, int b) {
    pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    char buffer[16384];
    while (!stop_) {
      if (::poll(fds, 2, 50) <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t got = ::read(fds[i].fd, buffer, sizeof(buffer));
        if (got <= 0) {
          ::close(a);
          ::close(b);
          return;
        }
        for (ssize_t sent = 0; sent < got;) {
          ssize_t n = ::send(fds[1 - i].fd, buffer + sent, got - sent, MSG_NOSIGNAL);
          if (n <= 0) break;
          sent += n;
        }
      }
    }
    ::close(a);
    ::close(b);
  }

  int fd_;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> pumps_;  // touched by the acceptor thread only, until it is joined
};

size_t CountOccurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++count;
  }
  return count;
}
}  // namespace

TEST_CASE("bad entries in the socket folder are skipped; good components register fast",
          "[integration]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "good");
  REQUIRE(sample);

  WriteFile(dir.File("notes.txt"), "not a socket");
  ::mkdir(dir.File("subdir").c_str(), 0750);
  ::close(BindUnix(dir.File("dead.sock")));    // a socket file nobody listens on
  int hung = BindUnix(dir.File("hung.sock"));  // accepts connections, never speaks
  REQUIRE(::listen(hung, 16) == 0);

  // A real gRPC server on a socket, but without the reflection service.
  dapr::proto::components::v1::StateStore::CallbackService no_reflection_service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + dir.File("silent.sock"), grpc::InsecureServerCredentials());
  builder.RegisterService(&no_reflection_service);
  auto no_reflection = builder.BuildAndStart();
  REQUIRE(no_reflection);

  auto started_at = std::chrono::steady_clock::now();
  RunningHost host(dir, dir.path(), {"--probe-timeout", "1000"});
  REQUIRE(host.started());
  auto startup = std::chrono::steady_clock::now() - started_at;
  INFO("host log:\n" << host.Log());
  CHECK(startup < std::chrono::seconds(3));

  rt::GetMetadataResponse metadata;
  REQUIRE(host.dapr().GetMetadata(Deadline().get(), rt::GetMetadataRequest{}, &metadata).ok());
  std::set<std::string> names;
  for (const auto& c : metadata.registered_components()) names.insert(c.name() + "/" + c.type());
  CHECK(names.count("good/state.good"));
  CHECK(names.count("good/hello.good"));
  for (const auto& bad : {"dead", "hung", "silent", "subdir", "notes"}) {
    for (const auto& n : names) CHECK(n.rfind(std::string(bad) + "/", 0) != 0);
  }

  // One log line per bad entry, naming it. The hung socket was left to a background probe when
  // startup settled, so its line comes one probe deadline later.
  auto hung_skipped = "skipping " + dir.File("hung.sock");
  for (int i = 0; i < 100 && host.Log().find(hung_skipped) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto log = host.Log();
  CHECK(log.find("1 still probing") != std::string::npos);
  for (const auto& bad : {"notes.txt", "subdir", "dead.sock", "hung.sock", "silent.sock"}) {
    CHECK(CountOccurrences(log, std::string("skipping ") + dir.File(bad)) == 1);
  }
  ::close(hung);
  no_reflection->Shutdown();
}

TEST_CASE("a socket still silent when startup settles joins once it answers", "[integration]") {
  TempDir dir;
  TempDir elsewhere;  // the real component, outside the scanned folder
  auto sample = StartSampleComponent(elsewhere, "real");
  REQUIRE(sample);
  HeldListener slow(dir.File("slow.sock"));

  RunningHost host(dir, dir.path(), {"--discovery-wait", "200", "--probe-timeout", "5000"});
  REQUIRE(host.started());
  INFO("host log:\n" << host.Log());
  // The one skipped entry is the host's own log file, which the test keeps in the folder.
  CHECK(host.Log().find("0 component socket(s), 1 skipped, 1 still probing") != std::string::npos);

  rt::GetStateRequest get;
  get.set_store_name("slow");
  get.set_key("k");
  rt::GetStateResponse got;
  CHECK(host.dapr().GetState(Deadline().get(), get, &got).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);  // not registered (yet)

  slow.ForwardTo(elsewhere.File("real.sock"));
  rt::SaveStateRequest save;
  save.set_store_name("slow");
  auto* item = save.add_states();
  item->set_key("k");
  item->set_value("late but here");
  google::protobuf::Empty empty;
  grpc::Status saved;
  for (int i = 0; i < 100; ++i) {  // the background probe, then Init, then the store serves
    saved = host.dapr().SaveState(Deadline().get(), save, &empty);
    if (saved.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO("host log:\n" << host.Log());
  REQUIRE(saved.ok());
  REQUIRE(host.dapr().GetState(Deadline().get(), get, &got).ok());
  CHECK(got.data() == "late but here");
  CHECK(host.Log().find("hot-plugged from") != std::string::npos);
}

}  // namespace plughost::testing
