// The plughost binary as operators meet it: flags, bad configuration, the components listing,
// name clashes, and a clean stop on SIGTERM.
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <sstream>

#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

struct Run {
  int exit_code;
  std::string output;
};

Run RunHost(const TempDir& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {RequiredEnv("PLUGHOST_BIN")};
  argv.insert(argv.end(), args.begin(), args.end());
  auto log = dir.File("run-" + std::to_string(::rand()) + ".log");
  auto process = ChildProcess::Spawn(argv, log);
  // The limit only bounds a broken run; a loaded CI machine is slow, never this slow.
  auto code = process->WaitExit(std::chrono::seconds(60));
  INFO("plughost " << args.size() << " argument(s), still running; its output so far:\n"
                   << process->Log());
  REQUIRE(code.has_value());
  return {*code, process->Log()};
}

}  // namespace

TEST_CASE("--version and --help", "[integration][cli]") {
  TempDir dir;
  auto version = RunHost(dir, {"--version"});
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.output, Catch::StartsWith("plughost "));
  auto help = RunHost(dir, {"--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.output, Catch::Contains("--sockets-dir"));
  auto bad = RunHost(dir, {"--no-such-flag"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.output, Catch::Contains("unknown flag '--no-such-flag'"));
}

TEST_CASE("bad configuration stops startup with exit 2 naming file and field",
          "[integration][cli]") {
  TempDir dir;
  auto port = "127.0.0.1:" + std::to_string(FreeTcpPort());

  WriteFile(dir.File("bad.json"), R"({"components": [{"name": "s", "type": "redis"}]})");
  auto bad_type = RunHost(
      dir, {"--config", dir.File("bad.json"), "--sockets-dir", dir.path(), "--grpc-address", port});
  CHECK(bad_type.exit_code == 2);
  CHECK_THAT(bad_type.output, Catch::Contains(dir.File("bad.json")));
  CHECK_THAT(bad_type.output, Catch::Contains("components[0].type"));

  WriteFile(dir.File("unknown.json"), R"({"components": [{"name": "s", "type": "state.nosuch"}]})");
  auto unknown = RunHost(dir, {"--config", dir.File("unknown.json"), "--sockets-dir", dir.path(),
                               "--grpc-address", port});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.output, Catch::Contains("components[0].type"));
  CHECK_THAT(unknown.output, Catch::Contains("state.nosuch"));
  CHECK_THAT(unknown.output, Catch::Contains("state.in-memory"));  // lists what is known

  WriteFile(dir.File("dup.json"), R"({"components": [{"name": "s", "type": "state.in-memory"},
                                                       {"name": "s", "type": "state.in-memory"}]})");
  auto duplicate = RunHost(
      dir, {"--config", dir.File("dup.json"), "--sockets-dir", dir.path(), "--grpc-address", port});
  CHECK(duplicate.exit_code == 2);
  CHECK_THAT(duplicate.output, Catch::Contains("components[1].name"));

  // bindings.cron is input only: a direction naming only "output" leaves nothing to create.
  WriteFile(dir.File("direction.json"), R"({"components": [{"name": "tick", "type": "bindings.cron",
      "metadata": {"schedule": "@every 1s", "direction": "output"}}]})");
  auto direction = RunHost(dir, {"--config", dir.File("direction.json"), "--sockets-dir",
                                 dir.path(), "--grpc-address", port});
  CHECK(direction.exit_code == 2);
  CHECK_THAT(direction.output, Catch::Contains("components[0].metadata.direction"));
  CHECK_THAT(direction.output, Catch::Contains("bindings.cron"));

  auto missing = RunHost(dir, {"--config", dir.File("absent.json"), "--sockets-dir", dir.path(),
                               "--grpc-address", port});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.output, Catch::Contains(dir.File("absent.json")));
}

TEST_CASE("a socket named like a built-in is a clear startup error", "[integration][cli]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "in-memory");  // would be state.in-memory
  REQUIRE(sample);
  auto clash = RunHost(dir, {"--sockets-dir", dir.path(), "--grpc-address",
                             "127.0.0.1:" + std::to_string(FreeTcpPort())});
  CHECK(clash.exit_code == 2);
  CHECK_THAT(clash.output, Catch::Contains("state.in-memory"));
  CHECK_THAT(clash.output, Catch::Contains("built-in"));
  CHECK_THAT(clash.output, Catch::Contains(dir.File("in-memory.sock")));
}

TEST_CASE("plughost components lists what a socket folder offers", "[integration][cli]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "lister");
  REQUIRE(sample);
  WriteFile(dir.File("readme.txt"), "x");
  auto listing = RunHost(dir, {"components", "--sockets-dir", dir.path()});
  CHECK(listing.exit_code == 0);
  CHECK_THAT(listing.output, Catch::Contains("state.lister"));
  CHECK_THAT(listing.output, Catch::Contains("hello.lister"));
  CHECK_THAT(listing.output, Catch::Contains("dapr.proto.components.v1.StateStore"));
  CHECK_THAT(listing.output, Catch::Contains("readme.txt"));
  CHECK_THAT(listing.output, Catch::Contains("skipped"));
}

TEST_CASE("plughost components runs the host's folder checks and says what the host would do",
          "[integration][cli]") {
  TempDir dir;
  auto missing = RunHost(dir, {"components", "--sockets-dir", dir.File("typo")});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.output, Catch::Contains(dir.File("typo") + " does not exist"));

  std::string open_folder = dir.File("open");
  ::mkdir(open_folder.c_str(), 0700);
  ::chmod(open_folder.c_str(), 0777);
  auto insecure = RunHost(dir, {"components", "--sockets-dir", open_folder});
  CHECK(insecure.exit_code == 2);
  CHECK_THAT(insecure.output, Catch::Contains("the host would refuse to start"));
  auto allowed =
      RunHost(dir, {"components", "--sockets-dir", open_folder, "--allow-insecure-sockets-dir"});
  CHECK(allowed.exit_code == 0);

  auto refused = RunHost(dir, {"components", "--app-id", "orders"});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.output, Catch::Contains("--app-id belongs to 'plughost', not 'plughost "
                                             "components'"));
  // --config is read (it marks the sockets of declared processes): a missing file is an error.
  auto missing_config =
      RunHost(dir, {"components", "--sockets-dir", dir.path(), "--config", "/nonexistent.json"});
  CHECK(missing_config.exit_code == 2);
  CHECK_THAT(missing_config.output, Catch::Contains("/nonexistent.json"));
}

TEST_CASE("plughost components: one row per socket, columns aligned to long paths",
          "[integration][cli]") {
  TempDir dir;
  std::string deep = dir.File("a-rather-long-folder-name-for-sockets-of-components");
  ::mkdir(deep.c_str(), 0750);
  auto process = ChildProcess::Spawn(
      {RequiredEnv("SAMPLE_COMPONENT_BIN"), "--socket", deep + "/long-socket-name-lister.sock"},
      dir.File("sample.log"));
  REQUIRE(WaitForSocket(deep + "/long-socket-name-lister.sock", std::chrono::seconds(10)));
  auto listing = RunHost(dir, {"components", "--sockets-dir", deep});
  CHECK(listing.exit_code == 0);
  std::vector<std::string> lines;
  std::istringstream stream(listing.output);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  auto header = std::find_if(lines.begin(), lines.end(),
                             [](const std::string& l) { return l.rfind("SOCKET", 0) == 0; });
  REQUIRE(header != lines.end());
  REQUIRE(std::next(header) != lines.end());
  const std::string& row = *std::next(header);
  CHECK(header->find("KINDS") == row.find("  ", row.find(".sock")) + 2);
  CHECK(header->find("STATUS") == row.find("ok: "));
  size_t mentions = 0;
  for (size_t at = listing.output.find("dapr.proto.components.v1.StateStore");
       at != std::string::npos;
       at = listing.output.find("dapr.proto.components.v1.StateStore", at + 1)) {
    ++mentions;
  }
  CHECK(mentions == 1);  // the services once per socket, not once per kind
  CHECK_THAT(row, Catch::Contains("state.long-socket-name-lister"));
  CHECK_THAT(row, Catch::Contains("hello.long-socket-name-lister"));
}

TEST_CASE("SIGTERM stops the host cleanly with exit 0", "[integration][cli]") {
  TempDir dir;
  RunningHost host(dir, dir.path());
  REQUIRE(host.started());
  host.process().Signal(SIGTERM);
  auto code = host.process().WaitExit(std::chrono::seconds(10));
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK_THAT(host.Log(), Catch::Contains("stopped"));
}

TEST_CASE("an app's Shutdown call stops the host", "[integration][cli]") {
  TempDir dir;
  RunningHost host(dir, dir.path());
  REQUIRE(host.started());
  google::protobuf::Empty empty;
  REQUIRE(host.dapr()
              .Shutdown(Deadline().get(), dapr::proto::runtime::v1::ShutdownRequest{}, &empty)
              .ok());
  auto code = host.process().WaitExit(std::chrono::seconds(10));
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}

}  // namespace plughost::testing
