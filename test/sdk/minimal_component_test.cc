// The minimal SDK state store (examples/components/cpp-minimal) as an author runs it: a real
// process on a real socket, checked by `plughost conformance` and driven through the real host.
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/stat.h>

#include <sstream>

#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

using namespace std::chrono_literals;
namespace rt = ::dapr::proto::runtime::v1;
namespace common = ::dapr::proto::common::v1;

std::unique_ptr<ChildProcess> StartMinimal(const TempDir& dir, const std::string& log_name,
                                           const std::vector<std::string>& args) {
  std::vector<std::string> argv = {RequiredEnv("MINIMAL_COMPONENT_BIN")};
  argv.insert(argv.end(), args.begin(), args.end());
  return ChildProcess::Spawn(argv, dir.File(log_name));
}

std::unique_ptr<ChildProcess> StartServing(const TempDir& dir, const std::string& socket) {
  auto process = StartMinimal(dir, "minimal.log", {"--socket", socket});
  REQUIRE(WaitForSocket(socket, 10s));
  return process;
}

bool Exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

grpc::Status Save(rt::Dapr::Stub& dapr, const std::string& key, const std::string& value,
                  const std::string& etag = "") {
  rt::SaveStateRequest request;
  request.set_store_name("cpp-minimal");
  auto* item = request.add_states();
  item->set_key(key);
  item->set_value(value);
  if (!etag.empty()) item->mutable_etag()->set_value(etag);
  google::protobuf::Empty empty;
  return dapr.SaveState(Deadline().get(), request, &empty);
}

rt::GetStateResponse Get(rt::Dapr::Stub& dapr, const std::string& key) {
  rt::GetStateRequest request;
  request.set_store_name("cpp-minimal");
  request.set_key(key);
  rt::GetStateResponse response;
  REQUIRE(dapr.GetState(Deadline().get(), request, &response).ok());
  return response;
}

std::string LineFor(const std::string& output, const std::string& case_name) {
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    for (const char* outcome : {"PASS ", "FAIL ", "SKIP "}) {
      std::string prefix = outcome + case_name;
      bool whole_name = line.size() == prefix.size() || line[prefix.size()] == ':';
      if (line.rfind(prefix, 0) == 0 && whole_name) return line;
    }
  }
  return "";
}

}  // namespace

TEST_CASE("the minimal SDK store passes the conformance kit", "[sdk][integration]") {
  TempDir dir;
  auto component = StartServing(dir, dir.File("cpp-minimal.sock"));
  auto kit = ChildProcess::Spawn({RequiredEnv("PLUGHOST_BIN"), "conformance", "--socket",
                                  dir.File("cpp-minimal.sock"), "--operations", "first-write"},
                                 dir.File("kit.log"));
  auto code = kit->WaitExit(120s);
  REQUIRE(code.has_value());
  std::string output = kit->Log();
  INFO(output);
  CHECK(*code == 0);
  CHECK_THAT(output, Catch::Contains(" 0 failed, "));
  for (const char* name :
       {"state/init", "state/features", "state/set-get", "state/etag-mismatch-set",
        "state/etag-mismatch-delete", "state/etag-malformed", "state/first-write-without-etag",
        "state/bulk-set-get", "state/bulk-delete", "state/instances-isolated", "state/ping"}) {
    CHECK(LineFor(output, name).rfind("PASS ", 0) == 0);
  }
}

TEST_CASE("the minimal SDK store serves apps through the host, with Dapr's ETag errors",
          "[sdk][integration]") {
  TempDir dir;
  auto component = StartServing(dir, dir.File("cpp-minimal.sock"));
  RunningHost host(dir, dir.path());
  REQUIRE(host.started());
  auto& dapr = host.dapr();

  REQUIRE(Save(dapr, "order", "1").ok());
  rt::GetStateResponse first = Get(dapr, "order");
  CHECK(first.data() == "1");
  REQUIRE_FALSE(first.etag().empty());
  REQUIRE(Save(dapr, "order", "2", first.etag()).ok());

  grpc::Status stale = Save(dapr, "order", "3", first.etag());
  CHECK(stale.error_code() == grpc::StatusCode::ABORTED);
  grpc::Status malformed = Save(dapr, "order", "3", "not-a-version");
  CHECK(malformed.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(Get(dapr, "order").data() == "2");

  rt::DeleteStateRequest remove;
  remove.set_store_name("cpp-minimal");
  remove.set_key("order");
  google::protobuf::Empty empty;
  REQUIRE(dapr.DeleteState(Deadline().get(), remove, &empty).ok());
  CHECK(Get(dapr, "order").data().empty());
}

TEST_CASE("the minimal store never steals a served socket and cleans up on SIGTERM",
          "[sdk][integration]") {
  TempDir dir;
  const std::string socket = dir.File("cpp-minimal.sock");
  auto component = StartServing(dir, socket);
  RunningHost host(dir, dir.path());
  REQUIRE(host.started());
  REQUIRE(Save(host.dapr(), "k", "kept").ok());

  auto intruder = StartMinimal(dir, "intruder.log", {"--socket", socket});
  auto intruder_code = intruder->WaitExit(10s);
  REQUIRE(intruder_code.has_value());
  CHECK(*intruder_code == 1);
  CHECK_THAT(intruder->Log(), Catch::Contains("cpp-minimal: socket " + socket));
  CHECK(Get(host.dapr(), "k").data() == "kept");  // the first process still serves

  component->Signal(SIGTERM);
  auto code = component->WaitExit(10s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK_THAT(component->Log(), Catch::Contains("stopping on signal 15"));
  CHECK_FALSE(Exists(socket));
  CHECK_FALSE(Exists(socket + ".lock"));
}

TEST_CASE("a socket left by a killed component is taken over by the next one",
          "[sdk][integration]") {
  TempDir dir;
  const std::string socket = dir.File("cpp-minimal.sock");
  auto killed = StartServing(dir, socket);
  killed->Signal(SIGKILL);
  REQUIRE(killed->WaitExit(10s).has_value());
  REQUIRE(Exists(socket));  // nobody removed it

  // The file still there refuses connections; one that accepts is the new process's.
  auto next = StartMinimal(dir, "next.log", {"--socket", socket});
  CHECK(WaitForSocket(socket, 10s));
  CHECK_FALSE(next->WaitExit(0ms).has_value());
}

TEST_CASE("--help and bad arguments", "[sdk][integration]") {
  TempDir dir;
  auto help = StartMinimal(dir, "help.log", {"--help"});
  CHECK(help->WaitExit(10s) == std::optional<int>(0));
  CHECK_THAT(help->Log(), Catch::Contains("usage: plughost-minimal-component [--socket PATH]"));

  auto bad = StartMinimal(dir, "bad.log", {"--port", "1"});
  CHECK(bad->WaitExit(10s) == std::optional<int>(2));
  CHECK_THAT(bad->Log(), Catch::Contains("cpp-minimal: unknown argument --port"));
}

}  // namespace plughost::testing
