// `plughost conformance` as component authors run it: the real binary against the real C++
// sample (every case passes), against a state store that gets ETags wrong (the ETag cases fail
// and say which convention was expected), and against sockets nobody serves (exit 2).
#include <catch2/catch.hpp>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <sstream>

#include "test/conformance/broken_state_store.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

using namespace std::chrono_literals;

struct Run {
  int exit_code;
  std::string output;
};

Run RunKit(const TempDir& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {RequiredEnv("PLUGHOST_BIN"), "conformance"};
  argv.insert(argv.end(), args.begin(), args.end());
  static int runs = 0;
  auto log = dir.File("kit-" + std::to_string(++runs) + ".log");
  auto process = ChildProcess::Spawn(argv, log);
  auto code = process->WaitExit(120s);
  REQUIRE(code.has_value());
  return {*code, process->Log()};
}

std::vector<std::string> LinesStartingWith(const std::string& output, const std::string& prefix) {
  std::vector<std::string> lines;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) lines.push_back(line);
  }
  return lines;
}

std::string LineFor(const std::string& output, const std::string& case_name) {
  for (const char* outcome : {"PASS ", "FAIL ", "SKIP ", "WARN "}) {
    for (const auto& line : LinesStartingWith(output, outcome + case_name)) {
      auto rest = line.substr(std::strlen(outcome) + case_name.size());
      if (rest.empty() || rest[0] == ':') return line;
    }
  }
  return "";
}

// A socket file with nothing behind it, as a crashed component leaves it.
void MakeDeadSocket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  ::close(fd);
}

std::string FindOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace

TEST_CASE("the C++ sample passes every case of every kind it serves", "[conformance]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "sample");
  REQUIRE(sample);
  auto run = RunKit(dir, {"--socket", dir.File("sample.sock"), "--metadata", "secret.token=s3cret",
                          "--metadata", "config.color=blue", "--operations", "first-write"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(LinesStartingWith(run.output, "FAIL ").empty());
  CHECK_THAT(run.output, Catch::Contains(" 0 failed, "));
  // Every kind the sample serves ran, including the cases gated by its features.
  for (const char* name :
       {"state/etag-mismatch-set", "state/etag-mismatch-delete", "state/etag-malformed",
        "state/first-write-without-etag", "state/transaction-stale-etag", "state/ttl",
        "state/instances-isolated", "hello/say-hello", "pubsub/nack-redelivers",
        "pubsub/ack-not-redelivered", "lock/unlock-wrong-owner", "lock/expiry",
        "sequencer/concurrent-distinct", "secretstores/get-known", "secretstores/get-unknown",
        "configuration/get-known", "output-binding/unlisted-operation", "input-binding/init"}) {
    CHECK(LineFor(run.output, name).rfind("PASS ", 0) == 0);
  }
  CHECK_THAT(LineFor(run.output, "state/features"), Catch::Contains("ETAG"));
  CHECK(LinesStartingWith(run.output, "WARN ").empty());  // it answers in Dapr's convention
}

TEST_CASE("optional operations run only when asked for, as in Dapr's conformance configs",
          "[conformance]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "sample");
  REQUIRE(sample);
  auto run = RunKit(dir, {"--socket", dir.File("sample.sock"), "--kind", "state"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK_THAT(LineFor(run.output, "state/first-write-without-etag"),
             Catch::StartsWith("SKIP ") && Catch::Contains("--operations first-write"));
}

TEST_CASE("ETag errors as bare codes pass with a warning: plughost takes them, daprd does not",
          "[conformance]") {
  TempDir dir;
  BrokenStateStoreServer bare(dir.File("bare.sock"), BrokenStateStoreServer::Flavor::kBareCodes);
  REQUIRE(bare.started());
  auto run = RunKit(dir, {"--socket", dir.File("bare.sock"), "--operations", "first-write"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  for (const char* name : {"state/etag-mismatch-set", "state/etag-mismatch-delete",
                           "state/first-write-without-etag"}) {
    CHECK_THAT(LineFor(run.output, name),
               Catch::StartsWith("WARN ") && Catch::Contains("not with daprd") &&
                   Catch::Contains("bare ABORTED") && Catch::Contains("FAILED_PRECONDITION"));
  }
  CHECK_THAT(LineFor(run.output, "state/etag-malformed"),
             Catch::StartsWith("WARN ") && Catch::Contains("bare INVALID_ARGUMENT"));
  CHECK_THAT(run.output, Catch::Contains("(4 passed with a daprd warning)"));
}

TEST_CASE("--kind runs one kind's suite; metadata reaches Init", "[conformance]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "sample");
  REQUIRE(sample);
  auto run = RunKit(dir, {"--socket", dir.File("sample.sock"), "--kind", "secretstores"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(LinesStartingWith(run.output, "PASS state/").empty());
  CHECK(LinesStartingWith(run.output, "PASS hello/").empty());
  // Without metadata the sample holds no secrets: the case says how to give it some.
  CHECK_THAT(LineFor(run.output, "secretstores/get-known"),
             Catch::StartsWith("SKIP ") && Catch::Contains("--metadata"));
  CHECK(LineFor(run.output, "secretstores/get-unknown").rfind("PASS ", 0) == 0);
}

TEST_CASE("a store that gets ETags wrong fails the ETag cases, naming the convention",
          "[conformance]") {
  TempDir dir;
  BrokenStateStoreServer broken(dir.File("broken.sock"));
  REQUIRE(broken.started());
  auto run = RunKit(dir, {"--socket", dir.File("broken.sock"), "--operations", "first-write"});
  INFO(run.output);
  CHECK(run.exit_code == 1);

  // A stale ETag on Set comes back as a plain UNKNOWN; on Delete and first-write it is ignored.
  auto stale_set = LineFor(run.output, "state/etag-mismatch-set");
  CHECK_THAT(stale_set, Catch::StartsWith("FAIL ") && Catch::Contains("ABORTED") &&
                            Catch::Contains("FAILED_PRECONDITION") &&
                            Catch::Contains("google.rpc.BadRequest") &&
                            Catch::Contains("UNKNOWN \"etag mismatch\"") &&
                            Catch::EndsWith("(needs feature ETAG)"));
  auto stale_delete = LineFor(run.output, "state/etag-mismatch-delete");
  CHECK_THAT(stale_delete, Catch::StartsWith("FAIL ") && Catch::Contains("got OK") &&
                               Catch::Contains("is gone") &&
                               Catch::Contains("FAILED_PRECONDITION"));
  CHECK_THAT(LineFor(run.output, "state/etag-malformed"), Catch::StartsWith("FAIL ") &&
                                                              Catch::Contains("INVALID_ARGUMENT") &&
                                                              Catch::Contains("got UNKNOWN"));
  CHECK_THAT(LineFor(run.output, "state/first-write-without-etag"),
             Catch::StartsWith("FAIL ") && Catch::Contains("ABORTED") && Catch::Contains("got OK"));
  // What it does right passes; what it does not advertise is skipped.
  for (const char* name :
       {"state/init", "state/get-missing", "state/set-get", "state/overwrite-changes-etag",
        "state/set-with-current-etag", "state/delete", "state/delete-missing", "state/bulk-set-get",
        "state/bulk-delete", "state/instances-isolated"}) {
    CHECK(LineFor(run.output, name).rfind("PASS ", 0) == 0);
  }
  CHECK_THAT(LineFor(run.output, "state/ttl"),
             Catch::Equals("SKIP state/ttl: component does not advertise TTL"));
  CHECK(LineFor(run.output, "state/transaction").rfind("SKIP ", 0) == 0);
  // Its Ping never answers: the case fails on the deadline instead of hanging the kit.
  CHECK_THAT(LineFor(run.output, "state/ping"),
             Catch::StartsWith("FAIL ") && Catch::Contains("DEADLINE_EXCEEDED"));
  CHECK_THAT(run.output, Catch::Contains("11 passed, 5 failed, 3 skipped"));
}

TEST_CASE("unreachable sockets and bad usage exit 2 with a clear message", "[conformance]") {
  TempDir dir;
  MakeDeadSocket(dir.File("dead.sock"));
  auto dead = RunKit(dir, {"--socket", dir.File("dead.sock")});
  CHECK(dead.exit_code == 2);
  CHECK_THAT(dead.output, Catch::Contains("cannot reach " + dir.File("dead.sock")));

  auto missing = RunKit(dir, {"--socket", dir.File("absent.sock")});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.output,
             Catch::Contains("cannot reach " + dir.File("absent.sock") + ": No such file"));

  WriteFile(dir.File("plain.txt"), "not a socket");
  auto plain = RunKit(dir, {"--socket", dir.File("plain.txt")});
  CHECK(plain.exit_code == 2);
  CHECK_THAT(plain.output, Catch::Contains("not a Unix socket"));

  auto no_socket = RunKit(dir, {});
  CHECK(no_socket.exit_code == 2);
  CHECK_THAT(no_socket.output, Catch::Contains("--socket PATH is required"));

  auto bad_metadata = RunKit(dir, {"--socket", dir.File("dead.sock"), "--metadata", "novalue"});
  CHECK(bad_metadata.exit_code == 2);
  CHECK_THAT(bad_metadata.output, Catch::Contains("--metadata: expected KEY=VALUE"));

  BrokenStateStoreServer broken(dir.File("broken.sock"));
  REQUIRE(broken.started());
  auto unknown_kind = RunKit(dir, {"--socket", dir.File("broken.sock"), "--kind", "queues"});
  CHECK(unknown_kind.exit_code == 2);
  CHECK_THAT(unknown_kind.output,
             Catch::Contains("unknown kind 'queues'") && Catch::Contains("state, pubsub"));
  auto not_served = RunKit(dir, {"--socket", dir.File("broken.sock"), "--kind", "lock"});
  CHECK(not_served.exit_code == 2);
  CHECK_THAT(not_served.output, Catch::Contains("serves no lock component (it serves: state)"));
}

TEST_CASE("the Node and Python sample state stores pass", "[conformance][samples]") {
  TempDir dir;
  std::vector<std::unique_ptr<ChildProcess>> samples;
  std::vector<std::string> sockets;
  const char* node_dir = std::getenv("NODE_SAMPLES_DIR");
  std::string node = FindOnPath("node");
  if (node_dir != nullptr && !node.empty() &&
      ::access((std::string(node_dir) + "/node_modules").c_str(), F_OK) == 0) {
    sockets.push_back(dir.File("node-state.sock"));
    samples.push_back(ChildProcess::Spawn(
        {node, std::string(node_dir) + "/state-store.js", "--socket", sockets.back()},
        dir.File("node.log")));
  } else {
    WARN("node or the Node samples' node_modules are missing: the Node sample is not run");
  }
  const char* python = std::getenv("PYTHON_BIN");
  const char* python_dir = std::getenv("PYTHON_SAMPLES_DIR");
  const char* stubs = std::getenv("PYTHON_STUBS_DIR");
  if (python != nullptr && python_dir != nullptr && stubs != nullptr &&
      ::access(python, X_OK) == 0) {
    sockets.push_back(dir.File("py-state.sock"));
    samples.push_back(ChildProcess::Spawn({python, std::string(python_dir) + "/state_store.py",
                                           "--socket", sockets.back(), "--stubs", stubs},
                                          dir.File("python.log")));
  } else {
    WARN("python3 or the Python samples are missing: the Python sample is not run");
  }
  for (const auto& socket : sockets) {
    REQUIRE(WaitForSocket(socket, 30s));
    auto run = RunKit(dir, {"--socket", socket, "--kind", "state"});
    INFO(socket << "\n" << run.output);
    CHECK(run.exit_code == 0);
    CHECK(LinesStartingWith(run.output, "FAIL ").empty());
    CHECK(LineFor(run.output, "state/etag-mismatch-set").rfind("PASS ", 0) == 0);
  }
}

}  // namespace plughost::testing
