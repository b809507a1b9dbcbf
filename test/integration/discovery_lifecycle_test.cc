// Discovery through the host's life, with real processes: sockets that appear while the host
// starts, a socket folder deleted and re-created, a socket removed for good, a configured
// type whose component starts after the host, and a socket folder that does not exist.
#include <catch2/catch.hpp>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "dapr/proto/components/v1/state.grpc.pb.h"
#include "test/support/http_get.h"
#include "test/support/running_host.h"
#include "sdk/cpp/unix_socket_server.h"

namespace plughost::testing {
namespace rt = ::dapr::proto::runtime::v1;
using namespace std::chrono_literals;
namespace {

bool Serves(RunningHost& host, const std::string& store) {
  rt::GetStateRequest request;
  request.set_store_name(store);
  request.set_key("k");
  rt::GetStateResponse response;
  auto context = Deadline();
  return host.dapr().GetState(context.get(), request, &response).ok();
}

std::unique_ptr<ChildProcess> SpawnSample(const std::string& socket, const std::string& log) {
  return ChildProcess::Spawn({RequiredEnv("SAMPLE_COMPONENT_BIN"), "--socket", socket}, log);
}

}  // namespace

TEST_CASE("a component started together with the host is registered", "[integration][discovery]") {
  // The startup scan and the watch used to leave a gap: a socket created in it was never seen.
  for (int round = 0; round < 5; ++round) {
    TempDir dir;
    std::filesystem::create_directory(dir.File("sockets"));
    auto component = SpawnSample(dir.File("sockets/together.sock"), dir.File("together.log"));
    RunningHost host(dir, dir.File("sockets"), {"--discovery-wait", "1"});
    REQUIRE(host.started());
    INFO("round " << round << "\n" << host.Log());
    CHECK(Eventually([&] { return Serves(host, "together"); }));
    // Nothing configured it: the log line that registers it says it got no metadata.
    CHECK_THAT(host.Log(), Catch::Contains("initialised without metadata"));
  }
}

TEST_CASE("hot-plug survives the socket folder being deleted and re-created",
          "[integration][discovery]") {
  TempDir dir;
  std::string folder = dir.File("sockets");
  std::filesystem::create_directory(folder);
  RunningHost host(dir, folder, {"--ping-interval", "50"});
  REQUIRE(host.started());
  std::filesystem::remove_all(folder);
  REQUIRE(Eventually([&] { return host.Log().find("was removed or moved") != std::string::npos; }));
  std::filesystem::create_directory(folder);
  auto component = SpawnSample(folder + "/replug.sock", dir.File("replug.log"));
  INFO(host.Log());
  CHECK(Eventually([&] { return Serves(host, "replug"); }));
}

TEST_CASE("an unconfigured component whose socket is removed leaves /readyz's required set",
          "[integration][discovery]") {
  TempDir dir;
  std::filesystem::create_directory(dir.File("sockets"));
  auto plugged = SpawnSample(dir.File("sockets/unplug.sock"), dir.File("unplug.log"));
  REQUIRE(WaitForSocket(dir.File("sockets/unplug.sock"), 10s));
  int ops_port = FreeTcpPort();
  RunningHost host(dir, dir.File("sockets"),
                   {"--ops-address", "127.0.0.1:" + std::to_string(ops_port)});
  REQUIRE(host.started());
  REQUIRE(Eventually([&] { return Serves(host, "unplug"); }));
  CHECK(HttpGet(ops_port, "/readyz").status == 200);

  plugged->Signal(SIGKILL);
  plugged->WaitExit(10s);
  std::filesystem::remove(dir.File("sockets/unplug.sock"));
  INFO(host.Log());
  CHECK(Eventually([&] { return host.Log().find("unplugged") != std::string::npos; }));
  CHECK(HttpGet(ops_port, "/readyz").status == 200);
  CHECK_FALSE(Serves(host, "unplug"));  // calls still fail: it is gone, just not required

  // Plugged in again: required (and served) again.
  auto again = SpawnSample(dir.File("sockets/unplug.sock"), dir.File("unplug2.log"));
  CHECK(Eventually([&] { return Serves(host, "unplug"); }));
  // Each of the socket's nine kinds recovers on its own; the state store may serve first.
  CHECK(Eventually([&] { return HttpGet(ops_port, "/readyz").status == 200; }));
}

TEST_CASE("a configured component whose socket is removed stays required by /readyz",
          "[integration][discovery]") {
  TempDir dir;
  std::filesystem::create_directory(dir.File("sockets"));
  auto plugged = SpawnSample(dir.File("sockets/needed.sock"), dir.File("needed.log"));
  REQUIRE(WaitForSocket(dir.File("sockets/needed.sock"), 10s));
  WriteFile(dir.File("config.json"), R"({"components": [
      {"name": "store", "type": "state.needed", "metadata": {}}]})");
  int ops_port = FreeTcpPort();
  RunningHost host(dir, dir.File("sockets"),
                   {"--config", dir.File("config.json"), "--ops-address",
                    "127.0.0.1:" + std::to_string(ops_port)});
  REQUIRE(host.started());
  plugged->Signal(SIGKILL);
  plugged->WaitExit(10s);
  std::filesystem::remove(dir.File("sockets/needed.sock"));
  CHECK(Eventually([&] { return HttpGet(ops_port, "/readyz").status == 503; }));
}

TEST_CASE("startup waits for a type the configuration names", "[integration][discovery]") {
  TempDir dir;
  std::filesystem::create_directory(dir.File("sockets"));
  WriteFile(dir.File("config.json"), R"({"components": [
      {"name": "late", "type": "state.latecomer", "metadata": {}}]})");
  // The host starts first; the component only a moment later.
  auto host_process = ChildProcess::Spawn(
      {RequiredEnv("PLUGHOST_BIN"), "--sockets-dir", dir.File("sockets"), "--config",
       dir.File("config.json"), "--grpc-address", "127.0.0.1:" + std::to_string(FreeTcpPort()),
       "--ops-address", "off", "--init-timeout", "8000"},
      dir.File("host.log"));
  REQUIRE(
      Eventually([&] { return host_process->Log().find("waiting up to") != std::string::npos; }));
  auto component = SpawnSample(dir.File("sockets/latecomer.sock"), dir.File("late.log"));
  INFO(host_process->Log());
  CHECK(Eventually(
      [&] { return host_process->Log().find("serving dapr.proto") != std::string::npos; }));
  CHECK_FALSE(host_process->WaitExit(100ms).has_value());
}

TEST_CASE("an unknown pluggable type names the folder and how types are named",
          "[integration][discovery]") {
  TempDir dir;
  std::filesystem::create_directory(dir.File("sockets"));
  // A state store only (in this process): the socket is there, but serves another kind.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  ::dapr::proto::components::v1::StateStore::Service state_only;
  grpc::ServerBuilder builder;
  builder.RegisterService(&state_only);
  auto server = sdk::StartOnUnixSocket(builder, dir.File("sockets/mystore.sock"));
  REQUIRE(server.ok());
  WriteFile(dir.File("config.json"), R"({"components": [
      {"name": "vault", "type": "secretstores.mystore", "metadata": {}}]})");
  auto host_process = ChildProcess::Spawn(
      {RequiredEnv("PLUGHOST_BIN"), "--sockets-dir", dir.File("sockets"), "--config",
       dir.File("config.json"), "--grpc-address", "127.0.0.1:" + std::to_string(FreeTcpPort()),
       "--ops-address", "off", "--init-timeout", "300"},
      dir.File("host.log"));
  auto code = host_process->WaitExit(20s);
  REQUIRE(code.has_value());
  CHECK(*code == 2);
  auto log = host_process->Log();
  CHECK_THAT(log, Catch::Contains("socket file names"));
  CHECK_THAT(log, Catch::Contains(dir.File("sockets")));
  CHECK_THAT(log, Catch::Contains("the socket named mystore serves"));
  CHECK_THAT(log, Catch::Contains("not secretstores"));
  (*server)->Shutdown(std::chrono::system_clock::now());
}

TEST_CASE("a missing socket folder is said in the log", "[integration][discovery]") {
  TempDir dir;
  RunningHost host(dir, dir.File("no-such-folder"));
  REQUIRE(host.started());
  CHECK_THAT(host.Log(), Catch::Contains(dir.File("no-such-folder") + " did not exist"));
}

}  // namespace plughost::testing

namespace plughost::testing {

TEST_CASE("a client holding an idle connection does not hold shutdown for the drain timeout",
          "[integration][shutdown]") {
  TempDir dir;
  RunningHost host(dir, dir.path(), {"--drain-timeout", "60000"});
  REQUIRE(host.started());
  // One call, then the connection stays open and idle.
  rt::GetMetadataRequest request;
  rt::GetMetadataResponse response;
  auto context = Deadline();
  REQUIRE(host.dapr().GetMetadata(context.get(), request, &response).ok());
  // And a client that opened HTTP/2 and says nothing more, not even to the GOAWAY.
  int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(host.port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(silent, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  static const char kPrefaceAndSettings[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";
  REQUIRE(::write(silent, kPrefaceAndSettings, sizeof(kPrefaceAndSettings) - 1) ==
          static_cast<ssize_t>(sizeof(kPrefaceAndSettings) - 1));
  std::this_thread::sleep_for(200ms);  // lets the server take the connection (not asserted)
  host.process().Signal(SIGTERM);
  // Well within the 60 s drain timeout (a bound, not a timing).
  auto code = host.process().WaitExit(20s);
  INFO(host.Log());
  ::close(silent);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}

}  // namespace plughost::testing

namespace plughost::testing {

TEST_CASE("a world-writable folder is refused in Kubernetes too unless it is an emptyDir",
          "[integration][folder-trust]") {
  TempDir dir;
  std::string open_dir = dir.File("open");
  std::filesystem::create_directory(open_dir);
  ::chmod(open_dir.c_str(), 0777);
  auto refused =
      ChildProcess::Spawn({RequiredEnv("PLUGHOST_BIN"), "--sockets-dir", open_dir, "--grpc-address",
                           "127.0.0.1:" + std::to_string(FreeTcpPort()), "--ops-address", "off"},
                          dir.File("refused.log"), {{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}});
  auto code = refused->WaitExit(20s);
  REQUIRE(code.has_value());
  CHECK(*code == 2);
  CHECK_THAT(refused->Log(), Catch::Contains("is not an emptyDir volume"));

  RunningHost allowed(dir, open_dir, {"--allow-insecure-sockets-dir"});
  REQUIRE(allowed.started());
  CHECK_THAT(allowed.Log(), Catch::Contains("accepted because of --allow-insecure-sockets-dir"));
}

}  // namespace plughost::testing
