// A flood of idle TCP connections under a low descriptor limit must not leave the host deaf:
// once the connections are gone, the API port accepts again (gRPC 1.51's own listener stops
// accepting for good after EMFILE; the host's accept loop waits and tries again). The gRPC port
// holds at most --max-connections; the ops port drops clients that trickle their request
// (slowloris) and keeps answering probes meanwhile.
#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "test/support/http_get.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
using namespace std::chrono_literals;

int ConnectTcp(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True once the peer closed `fd` (end of stream or reset); never blocks.
bool ClosedByPeer(int fd) {
  pollfd item{fd, POLLIN, 0};
  if (::poll(&item, 1, 0) <= 0) return false;
  char byte;
  ssize_t n = ::recv(fd, &byte, 1, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// True once the peer sent something on `fd` or closed it; never blocks.
bool Answered(int fd) {
  pollfd item{fd, POLLIN, 0};
  return ::poll(&item, 1, 0) > 0;
}

void CloseAll(std::vector<int>& fds) {
  for (int fd : fds) ::close(fd);
  fds.clear();
}

// The value of plughost_limit_hits_total{limit="<limit>"} on the ops port; -1 if absent.
long LimitHits(int ops_port, const std::string& limit) {
  auto body = HttpGet(ops_port, "/metrics").body;
  std::string series = "plughost_limit_hits_total{limit=\"" + limit + "\"} ";
  auto at = body.find(series);
  return at == std::string::npos ? -1 : std::atol(body.c_str() + at + series.size());
}

TEST_CASE("after a connection flood exhausts the host's descriptors, the API port accepts again") {
  TempDir dir;
  int port = FreeTcpPort();
  // The hard limit too: the host raises its soft limit to the hard one at start.
  auto host =
      ChildProcess::Spawn({"/usr/bin/prlimit", "--nofile=128:128", RequiredEnv("PLUGHOST_BIN"),
                           "--sockets-dir", dir.path(), "--grpc-address",
                           "127.0.0.1:" + std::to_string(port), "--ops-address", "127.0.0.1:0"},
                          dir.File("host.log"));
  REQUIRE(WaitForPort(port, 10s));

  std::vector<int> flood;
  for (int i = 0; i < 300; ++i) {
    int fd = ConnectTcp(port);
    if (fd >= 0) flood.push_back(fd);
  }
  INFO("connected " << flood.size() << " idle clients");
  REQUIRE(flood.size() > 128);  // more than the host can hold
  // The host ran out of descriptors (gRPC's own listener logs "Too many open files").
  REQUIRE(Eventually([&] {
    auto log = host->Log();
    return log.find("cannot accept API connections") != std::string::npos ||
           log.find("Too many open files") != std::string::npos;
  }));
  for (int fd : flood) ::close(fd);

  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  auto dapr = rt::Dapr::NewStub(channel);
  bool answered = Eventually([&] {
    rt::GetMetadataRequest request;
    rt::GetMetadataResponse response;
    auto context = Deadline();
    return dapr->GetMetadata(context.get(), request, &response).ok();
  });
  INFO(host->Log());
  CHECK(answered);
  CHECK_THAT(host->Log(), Catch::Contains("accepting API connections again"));
}

TEST_CASE("the gRPC port holds at most --max-connections; one more is closed at once") {
  TempDir dir;
  int ops_port = FreeTcpPort();
  RunningHost host(
      dir, dir.path(),
      {"--max-connections", "8", "--ops-address", "127.0.0.1:" + std::to_string(ops_port)});
  REQUIRE(host.started());
  // Eight idle clients fill the bound (WaitForPort's probe connection is long closed).
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) {
    int fd = ConnectTcp(host.port());
    REQUIRE(fd >= 0);
    idle.push_back(fd);
  }
  int extra = ConnectTcp(host.port());  // the kernel completes it; the host then closes it
  REQUIRE(extra >= 0);
  CHECK(Eventually([&] { return ClosedByPeer(extra); }));
  ::close(extra);
  CHECK(LimitHits(ops_port, "grpc_connections_full") >= 1);
  CHECK_THAT(host.Log(), Catch::Contains("refusing API connections"));
  // A new client is refused too while the idle ones stay.
  {
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(host.port()),
                                       grpc::InsecureChannelCredentials());
    rt::GetMetadataRequest request;
    rt::GetMetadataResponse response;
    CHECK(rt::Dapr::NewStub(channel)
              ->GetMetadata(Deadline().get(), request, &response)
              .error_code() == grpc::StatusCode::UNAVAILABLE);
  }
  // Once they leave, there is room again.
  CloseAll(idle);
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(host.port()),
                                     grpc::InsecureChannelCredentials());
  auto dapr = rt::Dapr::NewStub(channel);
  CHECK(Eventually([&] {
    rt::GetMetadataRequest request;
    rt::GetMetadataResponse response;
    return dapr->GetMetadata(Deadline().get(), request, &response).ok();
  }));
}

TEST_CASE("the HTTP API port holds at most --max-connections; one more gets 503") {
  TempDir dir;
  int ops_port = FreeTcpPort();
  int http_port = FreeTcpPort();
  RunningHost host(
      dir, dir.path(),
      {"--max-connections", "4", "--http-address", "127.0.0.1:" + std::to_string(http_port),
       "--ops-address", "127.0.0.1:" + std::to_string(ops_port)});
  REQUIRE(host.started());
  REQUIRE(WaitForPort(http_port, 10s));
  std::vector<int> idle;
  // WaitForPort's probe may still hold a slot for a moment: fill until one is refused.
  int extra = -1;
  REQUIRE(Eventually([&] {
    int fd = ConnectTcp(http_port);
    if (fd < 0) return false;
    // A refused connection is answered at once (503) and closed; an admitted one stays silent.
    bool refused = Eventually([&] { return Answered(fd); }, 300ms);
    if (!refused) {
      idle.push_back(fd);
      return false;
    }
    extra = fd;
    return true;
  }));
  ::close(extra);
  CHECK(HttpGet(http_port, "/v1.0/healthz").status == 503);
  CHECK(LimitHits(ops_port, "http_connections_full") >= 1);
  CloseAll(idle);
  CHECK(Eventually([&] { return HttpGet(http_port, "/v1.0/healthz").status == 204; }));
}

TEST_CASE("slow clients on the ops port do not stall /healthz and are dropped") {
  TempDir dir;
  int ops_port = FreeTcpPort();
  RunningHost host(dir, dir.path(), {"--ops-address", "127.0.0.1:" + std::to_string(ops_port)});
  REQUIRE(host.started());
  REQUIRE(WaitForPort(ops_port, 10s));
  // 200 clients each send a request one byte per second and never finish its header.
  std::vector<int> slow;
  for (int i = 0; i < 200; ++i) {
    int fd = ConnectTcp(ops_port);
    REQUIRE(fd >= 0);
    slow.push_back(fd);
  }
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    for (size_t i = 0; !stop; ++i) {
      char byte = i < request.size() ? request[i] : 'a';
      for (int fd : slow) ::send(fd, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      for (int step = 0; step < 10 && !stop; ++step) std::this_thread::sleep_for(100ms);
    }
  });
  for (int i = 0; i < 5; ++i) {
    auto health = HttpGet(ops_port, "/healthz");
    CHECK(health.status == 200);
    CHECK(health.body == "ok\n");
  }
  // The host drops each slow client once its header takes too long.
  CHECK(Eventually([&] {
    return std::all_of(slow.begin(), slow.end(), [](int fd) { return ClosedByPeer(fd); });
  }));
  stop = true;
  trickle.join();
  CloseAll(slow);
  CHECK(HttpGet(ops_port, "/healthz").status == 200);
}

TEST_CASE("after a flood exhausts the host's descriptors, the ops port answers again") {
  TempDir dir;
  int ops_port = FreeTcpPort();
  auto host = ChildProcess::Spawn(
      {"/usr/bin/prlimit", "--nofile=128:128", RequiredEnv("PLUGHOST_BIN"), "--sockets-dir",
       dir.path(), "--grpc-address", "127.0.0.1:" + std::to_string(FreeTcpPort()), "--http-address",
       "off", "--ops-address", "127.0.0.1:" + std::to_string(ops_port)},
      dir.File("host.log"));
  REQUIRE(WaitForPort(ops_port, 10s));
  std::vector<int> flood;
  for (int i = 0; i < 300; ++i) {
    int fd = ConnectTcp(ops_port);
    if (fd >= 0) flood.push_back(fd);
  }
  REQUIRE(flood.size() > 128);  // more than the host can hold
  // The host ran out of descriptors; then the flood goes away.
  CHECK(Eventually([&] {
    return host->Log().find("operator endpoints: cannot accept connections") != std::string::npos;
  }));
  CloseAll(flood);
  bool answered = Eventually([&] { return HttpGet(ops_port, "/healthz").status == 200; });
  INFO(host->Log());
  CHECK(answered);
  CHECK_THAT(host->Log(), Catch::Contains("operator endpoints: accepting connections again"));
}

}  // namespace
}  // namespace plughost::testing
