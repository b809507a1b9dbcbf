// A socket folder full of bad entries: every good component still registers, each bad entry
// is skipped with one log line, and startup stays fast because probes run in parallel.
#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

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
  ::close(BindUnix(dir.File("dead.sock")));  // a socket file nobody listens on
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

  // One log line per bad entry, naming it.
  auto log = host.Log();
  for (const auto& bad : {"notes.txt", "subdir", "dead.sock", "hung.sock", "silent.sock"}) {
    CHECK(CountOccurrences(log, std::string("skipping ") + dir.File(bad)) == 1);
  }
  ::close(hung);
  no_reflection->Shutdown();
}

}  // namespace plughost::testing
