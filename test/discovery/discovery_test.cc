#include "host/discovery/discovery.h"

#include <catch2/catch.hpp>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/components/kind.h"
#include "test/discovery/test_servers.h"

namespace plughost {
namespace {

using std::chrono::milliseconds;
using testing::RawListener;
using testing::Reflection;
using testing::TempDir;
using testing::TestServer;

const SkippedEntry* FindSkipped(const DiscoveryResult& result, const std::string& path) {
  for (const auto& entry : result.skipped) {
    if (entry.path == path) return &entry;
  }
  return nullptr;
}

const DiscoveredSocket* FindComponent(const DiscoveryResult& result, const std::string& path) {
  for (const auto& component : result.components) {
    if (component.path == path) return &component;
  }
  return nullptr;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

bool Lists(const std::vector<std::string>& services, const std::string& service) {
  return std::find(services.begin(), services.end(), service) != services.end();
}

// Checks that `path` was skipped for a reason mentioning `reason_part`.
void RequireSkipped(const DiscoveryResult& result, const std::string& path,
                    const std::string& reason_part) {
  const SkippedEntry* entry = FindSkipped(result, path);
  INFO("path: " << path);
  REQUIRE(entry != nullptr);
  INFO("reason: " << entry->reason);
  CHECK(Contains(entry->reason, reason_part));
  CHECK(entry->reason.find('\n') == std::string::npos);
}

struct ProbeReport {
  grpc::Status status;
  std::vector<std::string> services;
};

// The test thread may block; the probe's callback only fulfils the promise.
ProbeReport ProbeAndWait(const std::string& path, milliseconds timeout) {
  auto promise = std::make_shared<std::promise<ProbeReport>>();
  std::future<ProbeReport> future = promise->get_future();
  ProbeSocket(path, timeout, [promise](grpc::Status status, std::vector<std::string> services) {
    promise->set_value({std::move(status), std::move(services)});
  });
  REQUIRE(future.wait_for(timeout + std::chrono::seconds(5)) == std::future_status::ready);
  return future.get();
}

// Restores an environment variable when the test ends, whatever it did to it.
class ScopedEnv {
 public:
  explicit ScopedEnv(const char* name) : name_(name) {
    if (const char* value = ::getenv(name)) saved_ = value;
  }
  ~ScopedEnv() {
    if (saved_) {
      ::setenv(name_, saved_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  void Set(const char* value) { ::setenv(name_, value, 1); }
  void Unset() { ::unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

TEST_CASE("every bad entry is skipped with its reason and the good sockets register",
          "[discovery]") {
  TempDir dir;
  std::ofstream(dir.File("notes.txt")) << "not a socket\n";
  std::filesystem::create_directory(dir.File("subdir"));
  REQUIRE(testing::MakeDeadSocket(dir.File("dead.sock")));
  RawListener hung(dir.File("hung.sock"), RawListener::Mode::kHung);
  RawListener garbage(dir.File("garbage.sock"), RawListener::Mode::kGarbage);
  REQUIRE(hung.started());
  REQUIRE(garbage.started());
  TestServer no_reflection(dir.File("noreflect.sock"), {testing::kStateStore}, Reflection::kNone);
  TestServer state(dir.File("my-state.sock"), {testing::kStateStore}, Reflection::kV1Alpha);
  TestServer unknown(dir.File("unknown.sock"), {testing::kTransactionalStateStore},
                     Reflection::kV1Alpha);
  TestServer v1_only(dir.File("v1only.sock"), {testing::kStateStore}, Reflection::kV1OnlyFake);
  TestServer bindings(dir.File("bindings.sock"), {testing::kInputBinding, testing::kOutputBinding},
                      Reflection::kV1Alpha);
  REQUIRE(no_reflection.started());
  REQUIRE(state.started());
  REQUIRE(unknown.started());
  REQUIRE(v1_only.started());
  REQUIRE(bindings.started());
  // A link to a perfectly good socket: still not followed.
  std::filesystem::create_symlink(dir.File("my-state.sock"), dir.File("link.sock"));

  DiscoveryOptions options;
  options.folder = dir.path();
  options.probe_timeout = milliseconds(1000);
  const auto start = std::chrono::steady_clock::now();
  DiscoveryResult result = DiscoverComponents(options);
  const auto wall =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  std::printf("mixed folder (11 entries, 7 sockets): discovery took %lld ms (reported %lld ms)\n",
              static_cast<long long>(wall.count()), static_cast<long long>(result.elapsed.count()));

  {  // only sockets serving a known component service register
    REQUIRE(result.components.size() == 3);

    const DiscoveredSocket* good = FindComponent(result, dir.File("my-state.sock"));
    REQUIRE(good != nullptr);
    CHECK(good->name == "my-state");
    CHECK(good->kinds == std::vector<ComponentKind>{ComponentKind::kState});
    CHECK(Lists(good->services, testing::kStateStore));
    CHECK(Lists(good->services, "grpc.reflection.v1alpha.ServerReflection"));

    // Found only through the v1 fallback: v1alpha answers UNIMPLEMENTED there.
    const DiscoveredSocket* v1 = FindComponent(result, dir.File("v1only.sock"));
    REQUIRE(v1 != nullptr);
    CHECK(v1->name == "v1only");
    CHECK(v1->kinds == std::vector<ComponentKind>{ComponentKind::kState});
    CHECK(Lists(v1->services, "grpc.reflection.v1.ServerReflection"));

    const DiscoveredSocket* both = FindComponent(result, dir.File("bindings.sock"));
    REQUIRE(both != nullptr);
    std::vector<ComponentKind> kinds = both->kinds;
    std::sort(kinds.begin(), kinds.end());
    CHECK(kinds ==
          std::vector<ComponentKind>{ComponentKind::kInputBinding, ComponentKind::kOutputBinding});
  }

  {  // each other entry is skipped once, with a reason naming what is wrong
    CHECK(result.skipped.size() == 8);
    RequireSkipped(result, dir.File("notes.txt"), "regular file, not a socket");
    RequireSkipped(result, dir.File("subdir"), "directory");
    RequireSkipped(result, dir.File("link.sock"), "symlink, not followed");
    RequireSkipped(result, dir.File("dead.sock"), "connection refused");
    RequireSkipped(result, dir.File("hung.sock"), "no answer within 1000 ms");
    RequireSkipped(result, dir.File("garbage.sock"), "not a gRPC server");
    RequireSkipped(result, dir.File("noreflect.sock"), "no server reflection");
    RequireSkipped(result, dir.File("unknown.sock"), "serves no known component service");
    RequireSkipped(result, dir.File("unknown.sock"), testing::kTransactionalStateStore);
  }

  {  // results are sorted by path
    CHECK(std::is_sorted(result.components.begin(), result.components.end(),
                         [](const auto& a, const auto& b) { return a.path < b.path; }));
    CHECK(std::is_sorted(result.skipped.begin(), result.skipped.end(),
                         [](const auto& a, const auto& b) { return a.path < b.path; }));
  }

  {  // probes run in parallel, so a hung socket costs its deadline once
    // Functional, not a benchmark: run one after another, the hung and garbage sockets alone
    // would approach 2 s and the total would exceed 3 s.
    CHECK(wall < milliseconds(3000));
    CHECK(result.elapsed <= wall);
    CHECK(result.elapsed >= milliseconds(900));  // the hung probe really waited its deadline
  }
}

TEST_CASE("discovery can settle before a silent socket's deadline", "[discovery]") {
  TempDir dir;
  RawListener hung(dir.File("hung.sock"), RawListener::Mode::kHung);
  REQUIRE(hung.started());
  REQUIRE(testing::MakeDeadSocket(dir.File("dead.sock")));
  TestServer state(dir.File("my-state.sock"), {testing::kStateStore}, Reflection::kV1Alpha);
  REQUIRE(state.started());

  DiscoveryOptions options;
  options.folder = dir.path();
  options.probe_timeout = milliseconds(3000);
  options.settle_after = milliseconds(300);
  options.log = false;

  SECTION("the silent socket is pending, the others are classified") {
    DiscoveryResult result = DiscoverComponents(options);
    REQUIRE(result.components.size() == 1);
    CHECK(result.components[0].name == "my-state");
    REQUIRE(result.skipped.size() == 1);
    CHECK(result.skipped[0].path == dir.File("dead.sock"));
    CHECK(result.pending == std::vector<std::string>{dir.File("hung.sock")});
    CHECK(result.elapsed < options.probe_timeout);  // it did not wait for the hung probe
  }

  SECTION("a gRPC server that is only slow is waited for; a hung listener is not") {
    TestServer slow(dir.File("slow.sock"), {testing::kStateStore}, Reflection::kV1OnlySlow);
    REQUIRE(slow.started());
    DiscoveryResult result = DiscoverComponents(options);
    CHECK(FindComponent(result, dir.File("slow.sock")) != nullptr);  // answered after 700 ms
    CHECK(result.pending == std::vector<std::string>{dir.File("hung.sock")});
  }

  SECTION("when what was found is not enough, it waits for every probe") {
    int asked = 0;
    options.probe_timeout = milliseconds(1000);
    options.enough = [&](const std::vector<DiscoveredSocket>& found) {
      ++asked;
      CHECK(found.size() == 1);
      return false;  // e.g. the configuration names a type only a silent socket could serve
    };
    DiscoveryResult result = DiscoverComponents(options);
    CHECK(asked == 1);
    CHECK(result.pending.empty());
    RequireSkipped(result, dir.File("hung.sock"), "no answer within 1000 ms");
  }

  SECTION("without settle_after nothing is left pending") {
    options.settle_after = milliseconds(0);
    options.probe_timeout = milliseconds(500);
    DiscoveryResult result = DiscoverComponents(options);
    CHECK(result.pending.empty());
    CHECK(result.skipped.size() == 2);
  }
}

TEST_CASE("twenty good sockets are all found", "[discovery]") {
  TempDir dir;
  std::vector<std::unique_ptr<TestServer>> servers;
  for (int i = 0; i < 20; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "c%02d.sock", i);
    servers.push_back(std::make_unique<TestServer>(
        dir.File(name), std::vector<std::string>{testing::kStateStore}, Reflection::kV1Alpha));
    REQUIRE(servers.back()->started());
  }

  DiscoveryOptions options;
  options.folder = dir.path();
  options.probe_timeout = milliseconds(2000);
  options.log = false;
  DiscoveryResult result = DiscoverComponents(options);
  std::printf("20 good sockets: discovery took %lld ms\n",
              static_cast<long long>(result.elapsed.count()));

  CHECK(result.skipped.empty());
  REQUIRE(result.components.size() == 20);
  for (int i = 0; i < 20; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "c%02d", i);
    CHECK(result.components[i].name == name);
    CHECK(result.components[i].kinds == std::vector<ComponentKind>{ComponentKind::kState});
  }
}

TEST_CASE("a missing folder means no pluggable components, not an error", "[discovery]") {
  TempDir dir;
  DiscoveryOptions options;
  options.folder = dir.File("does-not-exist");
  DiscoveryResult result = DiscoverComponents(options);
  CHECK(result.components.empty());
  CHECK(result.skipped.empty());
}

TEST_CASE("an empty folder gives an empty result", "[discovery]") {
  TempDir dir;
  DiscoveryOptions options;
  options.folder = dir.path();
  DiscoveryResult result = DiscoverComponents(options);
  CHECK(result.components.empty());
  CHECK(result.skipped.empty());
}

TEST_CASE("a socket's own lock file is not reported; a stray lock file is", "[discovery]") {
  TempDir dir;
  REQUIRE(testing::MakeDeadSocket(dir.File("comp.sock")));
  std::ofstream(dir.File("comp.sock.lock")) << "";
  std::ofstream(dir.File("orphan.sock.lock")) << "";
  DiscoveryOptions options;
  options.folder = dir.path();
  options.probe_timeout = std::chrono::milliseconds(500);
  DiscoveryResult result = DiscoverComponents(options);
  std::vector<std::string> skipped;
  for (const auto& entry : result.skipped) skipped.push_back(entry.path);
  std::sort(skipped.begin(), skipped.end());
  CHECK(skipped == std::vector<std::string>{dir.File("comp.sock"), dir.File("orphan.sock.lock")});
}

TEST_CASE("hidden entries (servers still starting) are neither probed nor reported",
          "[discovery]") {
  TempDir dir;
  testing::TestServer starting(dir.File(".comp.sock.starting"), {testing::kStateStore},
                               testing::Reflection::kV1Alpha);
  REQUIRE(starting.started());
  std::ofstream(dir.File(".editor-swap")) << "";
  DiscoveryOptions options;
  options.folder = dir.path();
  DiscoveryResult result = DiscoverComponents(options);
  CHECK(result.components.empty());
  CHECK(result.skipped.empty());
}

TEST_CASE("a folder path naming a file is reported, not scanned", "[discovery]") {
  TempDir dir;
  std::ofstream(dir.File("file")) << "x";
  DiscoveryOptions options;
  options.folder = dir.File("file");
  DiscoveryResult result = DiscoverComponents(options);
  CHECK(result.components.empty());
  REQUIRE(result.skipped.size() == 1);
  CHECK(result.skipped[0].path == dir.File("file"));
  CHECK(Contains(result.skipped[0].reason, "not a directory"));
}

TEST_CASE("ProbeSocket reports the services or why it could not get them", "[discovery]") {
  TempDir dir;

  SECTION("a server with v1alpha reflection") {
    TestServer server(dir.File("s.sock"), {testing::kStateStore}, Reflection::kV1Alpha);
    REQUIRE(server.started());
    ProbeReport report = ProbeAndWait(dir.File("s.sock"), milliseconds(2000));
    REQUIRE(report.status.ok());
    CHECK(Lists(report.services, testing::kStateStore));
  }

  SECTION("a server with only v1 reflection, through the fallback") {
    TestServer server(dir.File("s.sock"), {testing::kStateStore}, Reflection::kV1OnlyFake);
    REQUIRE(server.started());
    ProbeReport report = ProbeAndWait(dir.File("s.sock"), milliseconds(2000));
    REQUIRE(report.status.ok());
    CHECK(Lists(report.services, testing::kStateStore));
    CHECK(Lists(report.services, "grpc.reflection.v1.ServerReflection"));
  }

  SECTION("a dead socket fails fast with UNAVAILABLE") {
    REQUIRE(testing::MakeDeadSocket(dir.File("dead.sock")));
    const auto start = std::chrono::steady_clock::now();
    ProbeReport report = ProbeAndWait(dir.File("dead.sock"), milliseconds(5000));
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(report.status.error_code() == grpc::StatusCode::UNAVAILABLE);
    CHECK(Contains(report.status.error_message(), "connection refused"));
    CHECK(took < milliseconds(2500));  // fails on the refused connect, not at the deadline
  }

  SECTION("a socket file that vanished fails without waiting for the deadline") {
    const auto start = std::chrono::steady_clock::now();
    ProbeReport report = ProbeAndWait(dir.File("gone.sock"), milliseconds(5000));
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(report.status.error_code() == grpc::StatusCode::UNAVAILABLE);
    CHECK(Contains(report.status.error_message(), "vanished"));
    CHECK(took < milliseconds(2500));
  }

  SECTION("a path too long for a Unix socket is refused up front") {
    std::string path = dir.File(std::string(120, 'x') + ".sock");
    ProbeReport report = ProbeAndWait(path, milliseconds(1000));
    CHECK(report.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(Contains(report.status.error_message(), "too long"));
  }

  SECTION("a hung listener ends at the deadline") {
    RawListener hung(dir.File("hung.sock"), RawListener::Mode::kHung);
    REQUIRE(hung.started());
    ProbeReport report = ProbeAndWait(dir.File("hung.sock"), milliseconds(300));
    CHECK(report.status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
    CHECK(Contains(report.status.error_message(), "no answer within 300 ms"));
  }
}

TEST_CASE("DefaultSocketsFolder: PLUGHOST_SOCKETS_DIR, then DAPR_COMPONENTS_SOCKETS_FOLDER",
          "[discovery]") {
  ScopedEnv plughost_dir("PLUGHOST_SOCKETS_DIR");
  ScopedEnv dapr_dir("DAPR_COMPONENTS_SOCKETS_FOLDER");
  ScopedEnv dapr_old_dir("DAPR_COMPONENT_SOCKETS_FOLDER");
  ScopedEnv layotto_dir("LAYOTTO_COMPONENTS_SOCKETS_FOLDER");

  plughost_dir.Unset();
  dapr_dir.Unset();
  dapr_old_dir.Unset();
  layotto_dir.Unset();
  CHECK(DefaultSocketsFolder() == "/tmp/dapr-components-sockets");

  layotto_dir.Set("/run/layotto-sockets");  // Layotto's, after Dapr's
  CHECK(DefaultSocketsFolder() == "/run/layotto-sockets");

  dapr_dir.Set("/run/dapr-sockets");
  CHECK(DefaultSocketsFolder() == "/run/dapr-sockets");

  plughost_dir.Set("/run/plughost-sockets");
  CHECK(DefaultSocketsFolder() == "/run/plughost-sockets");

  plughost_dir.Set("");  // empty counts as unset
  CHECK(DefaultSocketsFolder() == "/run/dapr-sockets");
}

}  // namespace
}  // namespace plughost
