// A flood of idle TCP connections under a low descriptor limit must not leave the host deaf:
// once the connections are gone, the API port accepts again (gRPC 1.51's own listener stops
// accepting for good after EMFILE; the host's accept loop waits and tries again).
#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

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

}  // namespace
}  // namespace plughost::testing
