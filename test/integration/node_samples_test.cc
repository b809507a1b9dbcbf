// The Node.js sample components (examples/components/node) as real processes on real sockets,
// discovered by the real host through @grpc/reflection and called through its Dapr and Layotto
// APIs: state with ETags, bulk calls and transactions, the output binding, and hello. The npm
// packages come from the committed lockfile (`npm ci`) when node_modules is missing or stale.
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "dapr/proto/components/v1/bindings.grpc.pb.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace fs = std::filesystem;
namespace rt = ::dapr::proto::runtime::v1;
namespace common = ::dapr::proto::common::v1;
namespace components = ::dapr::proto::components::v1;
namespace layotto = ::spec::proto::runtime::v1;
using namespace std::chrono_literals;

// The full path of `program` on PATH, or "" (posix_spawn does not search PATH).
std::string FindOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream folders(path ? path : "");
  for (std::string folder; std::getline(folders, folder, ':');) {
    std::string candidate = (folder.empty() ? "." : folder) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string SamplesDir() { return RequiredEnv("NODE_SAMPLES_DIR"); }

// npm records what it installed in node_modules/.package-lock.json: install from the committed
// lockfile when that record is missing or older than the lockfile. Once per test process.
void EnsureNodeModules() {
  static bool installed = false;
  if (installed) return;
  const fs::path dir = SamplesDir();
  const fs::path record = dir / "node_modules" / ".package-lock.json";
  std::error_code error;
  if (!fs::exists(record) ||
      fs::last_write_time(dir / "package-lock.json") > fs::last_write_time(record, error)) {
    REQUIRE_FALSE(FindOnPath("npm").empty());
    TempDir logs;
    auto npm = ChildProcess::Spawn(
        {"/bin/sh", "-c", "cd \"$1\" && exec npm ci --no-audit --no-fund", "sh", dir.string()},
        logs.File("npm.log"));
    auto exit_code = npm->WaitExit(240s);
    INFO("npm ci log:\n" << npm->Log());
    REQUIRE(exit_code == std::optional<int>(0));
  }
  installed = true;
}

// Starts `node <script> --socket <dir>/<name>.sock`; waits until the socket accepts.
std::unique_ptr<ChildProcess> StartNodeSample(const TempDir& dir, const std::string& script,
                                              const std::string& name,
                                              std::vector<std::string> extra_args = {}) {
  EnsureNodeModules();
  const std::string node = FindOnPath("node");
  REQUIRE_FALSE(node.empty());
  std::vector<std::string> argv = {node, SamplesDir() + "/" + script, "--socket",
                                   dir.File(name + ".sock")};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  auto process = ChildProcess::Spawn(argv, dir.File(name + ".log"));
  if (!WaitForSocket(dir.File(name + ".sock"), 60s)) {
    FAIL("node " << script << " did not start:\n" << process->Log());
  }
  return process;
}

constexpr char kConfig[] = R"({
  "app_id": "node-samples-test",
  "components": [
    {"name": "nodestore", "type": "state.node-state", "metadata": {"color": "green", "size": 3}},
    {"name": "nodestore2", "type": "state.node-state", "metadata": {"color": "red"}},
    {"name": "nodebinding", "type": "bindings.node-binding", "metadata": {"region": "eu"}},
    {"name": "nodebinding2", "type": "bindings.node-binding"},
    {"name": "nodehello", "type": "hello.node-hello", "metadata": {"hello": "hi from node"}},
    {"name": "plainhello", "type": "hello.node-hello"}
  ]})";

// The three samples, each its own process, then the host on their socket folder. Node starts
// slowly, so every test case and section shares one set of processes (and uses its own keys).
struct HostWithNodeSamples {
  HostWithNodeSamples() {
    state = StartNodeSample(dir, "state-store.js", "node-state");
    binding = StartNodeSample(dir, "output-binding.js", "node-binding");
    hello = StartNodeSample(dir, "hello.js", "node-hello");
    WriteFile(dir.File("config.json"), kConfig);
    host = std::make_unique<RunningHost>(
        dir, dir.path(), std::vector<std::string>{"--config", dir.File("config.json")});
  }
  std::string Logs() const {
    return "host:\n" + host->Log() + "\nstate:\n" + state->Log() + "\nbinding:\n" + binding->Log() +
           "\nhello:\n" + hello->Log();
  }

  TempDir dir;
  std::unique_ptr<ChildProcess> state, binding, hello;
  std::unique_ptr<RunningHost> host;
};

grpc::Status Save(rt::Dapr::Stub& dapr, const std::string& store, const std::string& key,
                  const std::string& value, const std::string& etag = "",
                  bool first_write = false) {
  rt::SaveStateRequest request;
  request.set_store_name(store);
  auto* item = request.add_states();
  item->set_key(key);
  item->set_value(value);
  if (!etag.empty()) item->mutable_etag()->set_value(etag);
  if (first_write) {
    item->mutable_options()->set_concurrency(common::StateOptions::CONCURRENCY_FIRST_WRITE);
  }
  google::protobuf::Empty empty;
  return dapr.SaveState(Deadline().get(), request, &empty);
}

rt::GetStateResponse Get(rt::Dapr::Stub& dapr, const std::string& store, const std::string& key) {
  rt::GetStateRequest request;
  request.set_store_name(store);
  request.set_key(key);
  rt::GetStateResponse response;
  auto status = dapr.GetState(Deadline().get(), request, &response);
  INFO("GetState " << store << "/" << key << ": " << status.error_message());
  REQUIRE(status.ok());
  return response;
}

rt::TransactionalStateOperation* AddOperation(rt::ExecuteStateTransactionRequest* tx,
                                              const std::string& type, const std::string& key,
                                              const std::string& value = "") {
  auto* operation = tx->add_operations();
  operation->set_operationtype(type);
  operation->mutable_request()->set_key(key);
  if (!value.empty()) operation->mutable_request()->set_value(value);
  return operation;
}

struct Invoked {
  grpc::Status status;
  rt::InvokeBindingResponse response;
};

Invoked Invoke(rt::Dapr::Stub& dapr, const std::string& name, const std::string& operation,
               const std::string& data = "", std::map<std::string, std::string> metadata = {}) {
  rt::InvokeBindingRequest request;
  request.set_name(name);
  request.set_operation(operation);
  request.set_data(data);
  request.mutable_metadata()->insert(metadata.begin(), metadata.end());
  Invoked out;
  out.status = dapr.InvokeBinding(Deadline().get(), request, &out.response);
  return out;
}

std::string SayHello(layotto::Runtime::Stub& runtime, const std::string& service,
                     const std::string& name, grpc::Status* status) {
  layotto::SayHelloRequest request;
  request.set_service_name(service);
  request.set_name(name);
  layotto::SayHelloResponse response;
  *status = runtime.SayHello(Deadline().get(), request, &response);
  return response.hello();
}

HostWithNodeSamples& SharedEnv() {
  static auto env = std::make_unique<HostWithNodeSamples>();
  return *env;
}

bool Exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

}  // namespace

TEST_CASE("the Node state store serves Dapr's state API through the host", "[integration][node]") {
  auto& env = SharedEnv();
  REQUIRE(env.host->started());
  INFO(env.Logs());
  auto& dapr = env.host->dapr();
  google::protobuf::Empty empty;
  const std::string store = "nodestore";

  SECTION("save, get, bulk get, ETags, delete") {
    rt::SaveStateRequest save;  // several items: the host's bulk write
    save.set_store_name(store);
    for (auto [k, v] : {std::pair{"a", "alpha"}, std::pair{"b", "beta"}}) {
      auto* item = save.add_states();
      item->set_key(k);
      item->set_value(v);
    }
    REQUIRE(dapr.SaveState(Deadline().get(), save, &empty).ok());
    auto a = Get(dapr, store, "a");
    CHECK(a.data() == "alpha");
    CHECK_FALSE(a.etag().empty());

    rt::GetBulkStateRequest bulk;
    bulk.set_store_name(store);
    for (const char* key : {"a", "b", "missing"}) bulk.add_keys(key);
    rt::GetBulkStateResponse bulk_response;
    REQUIRE(dapr.GetBulkState(Deadline().get(), bulk, &bulk_response).ok());
    std::map<std::string, std::string> got;
    for (const auto& item : bulk_response.items()) got[item.key()] = item.data();
    CHECK(got ==
          std::map<std::string, std::string>{{"a", "alpha"}, {"b", "beta"}, {"missing", ""}});

    // A wrong ETag is a conflict (ABORTED), a malformed one INVALID_ARGUMENT: the component's
    // google.rpc.BadRequest detail is what tells the host which.
    auto conflict = Save(dapr, store, "a", "x", "999999");
    CHECK(conflict.error_code() == grpc::StatusCode::ABORTED);
    CHECK_THAT(conflict.error_message(), Catch::Contains("possible etag mismatch"));
    CHECK_THAT(conflict.error_message(), Catch::Contains("does not match key"));
    auto malformed = Save(dapr, store, "a", "x", "not-a-number");
    CHECK(malformed.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(malformed.error_message(), Catch::Contains("expected a decimal version"));
    CHECK(Get(dapr, store, "a").data() == "alpha");  // nothing was written

    REQUIRE(Save(dapr, store, "a", "alpha2", a.etag()).ok());
    auto a2 = Get(dapr, store, "a");
    CHECK(a2.data() == "alpha2");
    CHECK(a2.etag() != a.etag());
    // First-write concurrency without an ETag on an existing key is a conflict too.
    CHECK(Save(dapr, store, "a", "y", "", /*first_write=*/true).error_code() ==
          grpc::StatusCode::ABORTED);
    CHECK(Save(dapr, store, "fresh", "y", "", /*first_write=*/true).ok());

    // A bulk write with one conflicting item writes nothing.
    rt::SaveStateRequest bad_bulk;
    bad_bulk.set_store_name(store);
    auto* fine = bad_bulk.add_states();
    fine->set_key("c");
    fine->set_value("gamma");
    auto* stale = bad_bulk.add_states();
    stale->set_key("a");
    stale->set_value("zzz");
    stale->mutable_etag()->set_value(a.etag());
    CHECK_FALSE(dapr.SaveState(Deadline().get(), bad_bulk, &empty).ok());
    CHECK(Get(dapr, store, "a").data() == "alpha2");

    rt::DeleteStateRequest del;
    del.set_store_name(store);
    del.set_key("a");
    del.mutable_etag()->set_value(a.etag());  // stale
    auto del_status = dapr.DeleteState(Deadline().get(), del, &empty);
    CHECK(del_status.error_code() == grpc::StatusCode::ABORTED);
    CHECK_THAT(del_status.error_message(), Catch::Contains("failed deleting state with key a"));
    del.mutable_etag()->set_value(a2.etag());
    REQUIRE(dapr.DeleteState(Deadline().get(), del, &empty).ok());
    CHECK(Get(dapr, store, "a").data().empty());
    CHECK(Get(dapr, store, "a").etag().empty());

    // Bulk delete.
    rt::DeleteBulkStateRequest bulk_del;
    bulk_del.set_store_name(store);
    bulk_del.add_states()->set_key("b");
    bulk_del.add_states()->set_key("fresh");
    REQUIRE(dapr.DeleteBulkState(Deadline().get(), bulk_del, &empty).ok());
    CHECK(Get(dapr, store, "b").data().empty());
    CHECK(Get(dapr, store, "fresh").data().empty());
  }

  SECTION("transactions apply all operations or none") {
    REQUIRE(Save(dapr, store, "gone", "soon").ok());
    rt::ExecuteStateTransactionRequest tx;
    tx.set_storename(store);
    AddOperation(&tx, "upsert", "t1", "one");
    AddOperation(&tx, "delete", "gone");
    REQUIRE(dapr.ExecuteStateTransaction(Deadline().get(), tx, &empty).ok());
    CHECK(Get(dapr, store, "t1").data() == "one");
    CHECK(Get(dapr, store, "gone").data().empty());

    rt::ExecuteStateTransactionRequest bad_tx;
    bad_tx.set_storename(store);
    AddOperation(&bad_tx, "upsert", "t2", "two");
    AddOperation(&bad_tx, "upsert", "t1", "uno")
        ->mutable_request()
        ->mutable_etag()
        ->set_value("424242");
    auto status = dapr.ExecuteStateTransaction(Deadline().get(), bad_tx, &empty);
    CHECK(status.error_code() == grpc::StatusCode::INTERNAL);
    CHECK_THAT(status.error_message(), Catch::Contains("error while executing state transaction"));
    CHECK(Get(dapr, store, "t2").data().empty());
    CHECK(Get(dapr, store, "t1").data() == "one");
  }

  SECTION("each instance has its own data and Init metadata") {
    REQUIRE(Save(dapr, "nodestore", "k", "from-first").ok());
    CHECK(Get(dapr, "nodestore2", "k").data().empty());
    auto first = nlohmann::json::parse(Get(dapr, "nodestore", "__init_metadata__").data());
    auto second = nlohmann::json::parse(Get(dapr, "nodestore2", "__init_metadata__").data());
    CHECK(first["color"] == "green");
    CHECK(first["size"] == "3");  // JSON numbers arrive as text
    CHECK(second["color"] == "red");
    CHECK(Get(dapr, "nodestore", "__init_count__").data() == "1");
  }

  SECTION("the metadata API shows the features the Node store reported") {
    rt::GetMetadataResponse metadata;
    REQUIRE(dapr.GetMetadata(Deadline().get(), rt::GetMetadataRequest{}, &metadata).ok());
    std::set<std::string> capabilities;
    for (const auto& c : metadata.registered_components()) {
      if (c.name() == store && c.type() == "state.node-state") {
        capabilities.insert(c.capabilities().begin(), c.capabilities().end());
      }
    }
    CHECK(capabilities.count("ETAG"));
    CHECK(capabilities.count("TRANSACTIONAL"));
  }
}

TEST_CASE("the Node output binding and hello serve through the host", "[integration][node]") {
  auto& env = SharedEnv();
  REQUIRE(env.host->started());
  INFO(env.Logs());
  auto& dapr = env.host->dapr();

  SECTION("InvokeBinding create, get, list and delete") {
    auto created = Invoke(dapr, "nodebinding", "create", "first record", {{"key", "r1"}});
    REQUIRE(created.status.ok());
    CHECK(created.response.metadata().at("key") == "r1");
    auto unnamed = Invoke(dapr, "nodebinding", "create", std::string("bin\0ary", 7));
    REQUIRE(unnamed.status.ok());
    CHECK(unnamed.response.metadata().at("key") == "record-1");

    auto got = Invoke(dapr, "nodebinding", "get", "", {{"key", "r1"}});
    REQUIRE(got.status.ok());
    CHECK(got.response.data() == "first record");
    CHECK(Invoke(dapr, "nodebinding", "get", "", {{"key", "record-1"}}).response.data() ==
          std::string("bin\0ary", 7));
    auto listed = Invoke(dapr, "nodebinding", "list");
    REQUIRE(listed.status.ok());
    CHECK(nlohmann::json::parse(listed.response.data()) == nlohmann::json{"r1", "record-1"});

    REQUIRE(Invoke(dapr, "nodebinding", "delete", "", {{"key", "r1"}}).status.ok());
    auto missing = Invoke(dapr, "nodebinding", "get", "", {{"key", "r1"}});
    CHECK(missing.status.error_code() == grpc::StatusCode::INTERNAL);
    CHECK(missing.status.error_message() ==
          "error invoking output binding nodebinding: record r1 not found");
  }

  SECTION("an operation the binding does not list is refused") {
    auto unknown = Invoke(dapr, "nodebinding", "merge");
    CHECK(unknown.status.error_code() == grpc::StatusCode::INTERNAL);
    CHECK(unknown.status.error_message() ==
          "error invoking output binding nodebinding: binding nodebinding does not support "
          "operation merge. supported operations:create get list delete");
  }

  SECTION("over its socket, the binding keys records by x-component-instance") {
    // The host refuses unlisted operations itself, so the component's own answer is checked
    // directly, as is the per-instance state the host's instance header selects.
    REQUIRE(Invoke(dapr, "nodebinding2", "create", "via host", {{"key", "shared"}}).status.ok());
    auto channel = grpc::CreateChannel("unix:" + env.dir.File("node-binding.sock"),
                                       grpc::InsecureChannelCredentials());
    auto binding = components::OutputBinding::NewStub(channel);

    components::ListOperationsResponse operations;
    REQUIRE(binding->ListOperations(Deadline().get(), {}, &operations).ok());
    CHECK(
        std::vector<std::string>(operations.operations().begin(), operations.operations().end()) ==
        std::vector<std::string>{"create", "get", "list", "delete"});

    components::InvokeRequest request;
    request.set_operation("merge");
    components::InvokeResponse response;
    auto unlisted = binding->Invoke(Deadline().get(), request, &response);
    CHECK(unlisted.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(unlisted.error_message(), Catch::Contains("unsupported operation \"merge\""));

    request.set_operation("list");
    auto as_host = Deadline();
    as_host->AddMetadata("x-component-instance", "nodebinding2");
    REQUIRE(binding->Invoke(as_host.get(), request, &response).ok());
    CHECK(nlohmann::json::parse(response.data()) == nlohmann::json{"shared"});
    REQUIRE(binding->Invoke(Deadline().get(), request, &response).ok());  // "#default"
    CHECK(nlohmann::json::parse(response.data()) == nlohmann::json::array());
  }

  SECTION("Layotto's SayHello reaches the Node hello, per instance") {
    grpc::Status status;
    CHECK(SayHello(env.host->layotto(), "nodehello", "app", &status) == "hi from node app");
    CHECK(status.ok());
    CHECK(SayHello(env.host->layotto(), "nodehello", "", &status) == "hi from node");
    CHECK(status.ok());
    // An instance configured without a greeting gets the default one.
    CHECK(SayHello(env.host->layotto(), "plainhello", "app", &status) == "hello app");
    CHECK(status.ok());
  }
}

TEST_CASE("plughost components lists what the Node samples serve by reflection",
          "[integration][node]") {
  TempDir dir;
  auto state = StartNodeSample(dir, "state-store.js", "node-state");
  auto binding = StartNodeSample(dir, "output-binding.js", "node-binding");
  auto hello = StartNodeSample(dir, "hello.js", "node-hello");
  auto cli =
      ChildProcess::Spawn({RequiredEnv("PLUGHOST_BIN"), "components", "--sockets-dir", dir.path()},
                          dir.File("cli.out"));
  REQUIRE(cli->WaitExit(60s) == std::optional<int>(0));
  const std::string listing = cli->Log();
  INFO(listing);
  auto line_of = [&](const std::string& socket) {
    auto start = listing.find(dir.File(socket) + " ");
    REQUIRE(start != std::string::npos);
    return listing.substr(start, listing.find('\n', start) - start);
  };
  std::string state_line = line_of("node-state.sock");
  CHECK_THAT(state_line, Catch::Contains("state.node-state"));
  CHECK_THAT(state_line, Catch::Contains("dapr.proto.components.v1.StateStore"));
  CHECK_THAT(state_line, Catch::Contains("dapr.proto.components.v1.TransactionalStateStore"));
  // Reflection lists only what each process serves, not every service its .proto files define.
  CHECK_THAT(state_line, !Catch::Contains("QueriableStateStore"));
  std::string binding_line = line_of("node-binding.sock");
  CHECK_THAT(binding_line, Catch::Contains("bindings.node-binding"));
  CHECK_THAT(binding_line, !Catch::Contains("InputBinding"));
  CHECK_THAT(line_of("node-hello.sock"), Catch::Contains("hello.node-hello"));
}

TEST_CASE("a Node sample claims its socket safely and removes it when stopped",
          "[integration][node]") {
  TempDir dir;
  const std::string socket = dir.File("node-hello.sock");
  auto first = StartNodeSample(dir, "hello.js", "node-hello");
  CHECK(Exists(socket + ".lock"));
  // Set once listening (the socket may accept a moment before).
  CHECK(Eventually([&] {
    struct stat info {};
    return ::stat(socket.c_str(), &info) == 0 && (info.st_mode & 0777) == 0660;
  }));

  // A second process on a live socket refuses it and leaves the first one serving.
  auto second = ChildProcess::Spawn(
      {FindOnPath("node"), SamplesDir() + "/hello.js", "--socket", socket}, dir.File("second.log"));
  CHECK(second->WaitExit(60s) == std::optional<int>(1));
  CHECK_THAT(second->Log(), Catch::Contains("claimed by process " + std::to_string(first->pid())));
  CHECK(WaitForSocket(socket, 5s));

  // Killed without cleanup: the socket file and lock stay behind, and the next start replaces
  // them.
  first->Signal(SIGKILL);
  CHECK(first->WaitExit(30s).has_value());
  CHECK(Exists(socket));
  auto third = StartNodeSample(dir, "hello.js", "node-hello");
  // The log file is the first process's too: wait for the third's own "serving" line (the
  // second), after which its signal handlers are in place.
  CHECK(Eventually([&] {
    const std::string log = third->Log();
    const std::string serving = "serving spec.proto.pluggable.v1.hello.Hello on " + socket;
    size_t first_line = log.find(serving);
    return first_line != std::string::npos &&
           log.find(serving, first_line + serving.size()) != std::string::npos;
  }));

  // SIGTERM: a clean exit that removes the socket and the lock.
  third->Signal(SIGTERM);
  CHECK(third->WaitExit(30s) == std::optional<int>(0));
  CHECK_FALSE(Exists(socket));
  CHECK_FALSE(Exists(socket + ".lock"));

  // Bad arguments exit 2.
  auto bad = ChildProcess::Spawn({FindOnPath("node"), SamplesDir() + "/hello.js", "--bogus"},
                                 dir.File("bad.log"));
  CHECK(bad->WaitExit(60s) == std::optional<int>(2));
}

}  // namespace plughost::testing
