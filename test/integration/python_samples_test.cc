// The Python sample components (examples/components/python) as real processes on real sockets,
// discovered by the real host through their own reflection service and called through its Dapr
// API: the in-memory state store, the pub/sub, and the state store on a real redis-server. One
// test runs the same calls against the C++ sample and both Python stores and requires the
// same answers from all three.
#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
namespace common = ::dapr::proto::common::v1;
using namespace std::chrono_literals;
using nlohmann::json;

// Bounds on a broken component or host, never asserted as timings. Python starts slower than
// the C++ sample, so its socket gets a long wait.
constexpr auto kStartPatience = 30s;
constexpr auto kPatience = 15s;

// Keeps test runs from writing __pycache__ folders into the source tree.
const std::map<std::string, std::string> kPythonEnv = {{"PYTHONDONTWRITEBYTECODE", "1"}};

// Starts examples/components/python/<script> on <dir>/<name>.sock; waits until it accepts.
std::unique_ptr<ChildProcess> StartPythonSample(const TempDir& dir, const std::string& script,
                                                const std::string& name) {
  std::string socket = dir.File(name + ".sock");
  auto process = ChildProcess::Spawn(
      {RequiredEnv("PYTHON_BIN"), RequiredEnv("PYTHON_SAMPLES_DIR") + "/" + script, "--socket",
       socket, "--stubs", RequiredEnv("PYTHON_STUBS_DIR")},
      dir.File(name + ".log"), kPythonEnv);
  if (!WaitForSocket(socket, kStartPatience)) return nullptr;
  return process;
}

// A real redis-server on a free port, without persistence; killed with the object.
class RedisServer {
 public:
  explicit RedisServer(const TempDir& dir) : port_(FreeTcpPort()) {
    const char* binary = std::getenv("REDIS_SERVER_BIN");
    process_ = ChildProcess::Spawn(
        {binary != nullptr && *binary != '\0' ? binary : "/usr/bin/redis-server", "--port",
         std::to_string(port_), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
         dir.path()},
        dir.File("redis.log"));
    started_ = WaitForPort(port_, kStartPatience);
  }
  bool started() const { return started_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int port_;
  bool started_ = false;
  std::unique_ptr<ChildProcess> process_;
};

std::string WriteConfig(const TempDir& dir, const json& components,
                        const std::string& app_id = "python-app") {
  std::string path = dir.File("config.json");
  WriteFile(path, json{{"app_id", app_id}, {"components", components}}.dump(2));
  return path;
}

grpc::Status Save(rt::Dapr::Stub& dapr, const std::string& store, const std::string& key,
                  const std::string& value, const std::string& etag = "", bool first_write = false,
                  std::map<std::string, std::string> metadata = {}) {
  rt::SaveStateRequest request;
  request.set_store_name(store);
  auto* item = request.add_states();
  item->set_key(key);
  item->set_value(value);
  if (!etag.empty()) item->mutable_etag()->set_value(etag);
  if (first_write) {
    item->mutable_options()->set_concurrency(common::StateOptions::CONCURRENCY_FIRST_WRITE);
  }
  item->mutable_metadata()->insert(metadata.begin(), metadata.end());
  google::protobuf::Empty empty;
  return dapr.SaveState(Deadline().get(), request, &empty);
}

rt::GetStateResponse Get(rt::Dapr::Stub& dapr, const std::string& store, const std::string& key,
                         grpc::Status* status = nullptr) {
  rt::GetStateRequest request;
  request.set_store_name(store);
  request.set_key(key);
  rt::GetStateResponse response;
  auto result = dapr.GetState(Deadline().get(), request, &response);
  if (status != nullptr) {
    *status = result;
  } else {
    REQUIRE(result.ok());
  }
  return response;
}

grpc::Status Delete(rt::Dapr::Stub& dapr, const std::string& store, const std::string& key,
                    const std::string& etag = "") {
  rt::DeleteStateRequest request;
  request.set_store_name(store);
  request.set_key(key);
  if (!etag.empty()) request.mutable_etag()->set_value(etag);
  google::protobuf::Empty empty;
  return dapr.DeleteState(Deadline().get(), request, &empty);
}

struct TxOp {
  std::string type;  // "upsert" or "delete"
  std::string key;
  std::string value;
  std::string etag;
};

grpc::Status Transact(rt::Dapr::Stub& dapr, const std::string& store,
                      const std::vector<TxOp>& ops) {
  rt::ExecuteStateTransactionRequest request;
  request.set_storename(store);
  for (const TxOp& op : ops) {
    auto* operation = request.add_operations();
    operation->set_operationtype(op.type);
    operation->mutable_request()->set_key(op.key);
    operation->mutable_request()->set_value(op.value);
    if (!op.etag.empty()) operation->mutable_request()->mutable_etag()->set_value(op.etag);
  }
  google::protobuf::Empty empty;
  return dapr.ExecuteStateTransaction(Deadline().get(), request, &empty);
}

std::map<std::string, std::string> BulkGet(rt::Dapr::Stub& dapr, const std::string& store,
                                           const std::vector<std::string>& keys) {
  rt::GetBulkStateRequest request;
  request.set_store_name(store);
  for (const auto& key : keys) request.add_keys(key);
  rt::GetBulkStateResponse response;
  REQUIRE(dapr.GetBulkState(Deadline().get(), request, &response).ok());
  std::map<std::string, std::string> got;
  for (const auto& item : response.items()) got[item.key()] = item.data();
  return got;
}

grpc::Status BulkDelete(rt::Dapr::Stub& dapr, const std::string& store,
                        const std::vector<std::string>& keys) {
  rt::DeleteBulkStateRequest request;
  request.set_store_name(store);
  for (const auto& key : keys) request.add_states()->set_key(key);
  google::protobuf::Empty empty;
  return dapr.DeleteBulkState(Deadline().get(), request, &empty);
}

// Polls until `key` reads empty (a TTL ran out); false if it never does within the patience.
bool WaitUntilGone(rt::Dapr::Stub& dapr, const std::string& store, const std::string& key) {
  auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (std::chrono::steady_clock::now() < deadline) {
    grpc::Status status;
    auto response = Get(dapr, store, key, &status);
    if (status.ok() && response.data().empty()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

// The state behaviour every store here must show through the host: values, ETags (conflict
// ABORTED, malformed INVALID_ARGUMENT, nothing written on failure), first-write, deletes,
// bulk calls, all-or-nothing transactions, and TTL expiry.
void CheckStateBehaviour(rt::Dapr::Stub& dapr, const std::string& store) {
  REQUIRE(Save(dapr, store, "a", "alpha").ok());
  REQUIRE(Save(dapr, store, "b", "beta").ok());
  auto a = Get(dapr, store, "a");
  CHECK(a.data() == "alpha");
  REQUIRE_FALSE(a.etag().empty());

  auto got = BulkGet(dapr, store, {"a", "b", "missing"});
  CHECK(got["a"] == "alpha");
  CHECK(got["b"] == "beta");
  CHECK(got.count("missing") == 1);
  CHECK(got["missing"].empty());

  auto conflict = Save(dapr, store, "a", "x", "999999");
  CHECK(conflict.error_code() == grpc::StatusCode::ABORTED);
  CHECK_THAT(conflict.error_message(), Catch::Contains("possible etag mismatch"));
  CHECK(Save(dapr, store, "a", "x", "not-a-number").error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(Get(dapr, store, "a").data() == "alpha");
  REQUIRE(Save(dapr, store, "a", "alpha2", a.etag()).ok());
  auto a2 = Get(dapr, store, "a");
  CHECK(a2.data() == "alpha2");
  CHECK(a2.etag() != a.etag());
  CHECK(Save(dapr, store, "a", "y", "", /*first_write=*/true).error_code() ==
        grpc::StatusCode::ABORTED);
  CHECK(Save(dapr, store, "new", "n", "", /*first_write=*/true).ok());

  auto stale_delete = Delete(dapr, store, "a", a.etag());
  CHECK(stale_delete.error_code() == grpc::StatusCode::ABORTED);
  CHECK_THAT(stale_delete.error_message(), Catch::Contains("failed deleting state with key a"));
  REQUIRE(Delete(dapr, store, "a", a2.etag()).ok());
  CHECK(Get(dapr, store, "a").data().empty());

  REQUIRE(Transact(dapr, store, {{"upsert", "t1", "one", ""}, {"delete", "b", "", ""}}).ok());
  CHECK(Get(dapr, store, "t1").data() == "one");
  CHECK(Get(dapr, store, "b").data().empty());
  auto failed =
      Transact(dapr, store, {{"upsert", "t2", "two", ""}, {"upsert", "t1", "uno", "424242"}});
  CHECK(failed.error_code() == grpc::StatusCode::INTERNAL);
  CHECK_THAT(failed.error_message(), Catch::Contains("error while executing state transaction"));
  CHECK(Get(dapr, store, "t2").data().empty());
  CHECK(Get(dapr, store, "t1").data() == "one");

  REQUIRE(Save(dapr, store, "c", "gamma").ok());
  REQUIRE(BulkDelete(dapr, store, {"c", "t1"}).ok());
  CHECK(Get(dapr, store, "c").data().empty());
  CHECK(Get(dapr, store, "t1").data().empty());

  // TTL: the entry reports its expiry, then disappears.
  REQUIRE(Save(dapr, store, "short-lived", "soon gone", "", false, {{"ttlInSeconds", "1"}}).ok());
  auto ttl_response = Get(dapr, store, "short-lived");
  if (!ttl_response.data().empty()) {  // not expired yet on a loaded machine
    CHECK(ttl_response.metadata().count("ttlExpireTime") == 1);
  }
  CHECK(WaitUntilGone(dapr, store, "short-lived"));
  REQUIRE(Save(dapr, store, "forever", "stays", "", false, {{"ttlInSeconds", "-1"}}).ok());
  CHECK(Get(dapr, store, "forever").metadata().count("ttlExpireTime") == 0);
}

// Records what the host answers to a fixed series of calls, in a form that does not depend on
// which store answered: the store's name is replaced, and ETags are named by first appearance.
class Transcript {
 public:
  explicit Transcript(std::string store) : store_(std::move(store)) {}

  std::string Etag(const std::string& etag) {
    if (etag.empty()) return "-";
    auto [it, inserted] = etags_.try_emplace(etag, "E" + std::to_string(etags_.size() + 1));
    return it->second;
  }

  void Record(const std::string& step, const grpc::Status& status) {
    out_ << step << ": " << static_cast<int>(status.error_code()) << " "
         << Normalise(status.error_message()) << "\n";
  }

  void Record(const std::string& step, const rt::GetStateResponse& response) {
    std::set<std::string> metadata_keys;
    for (const auto& [key, value] : response.metadata()) metadata_keys.insert(key);
    out_ << step << ": data=" << response.data() << " etag=" << Etag(response.etag())
         << " metadata=" << json(metadata_keys).dump() << "\n";
  }

  std::string text() const { return out_.str(); }

 private:
  std::string Normalise(std::string message) {
    Replace(&message, store_, "<store>");
    for (const auto& [etag, name] : etags_) {
      Replace(&message, "\"" + etag + "\"", "\"" + name + "\"");
    }
    return message;
  }

  static void Replace(std::string* text, const std::string& from, const std::string& to) {
    for (size_t at = text->find(from); at != std::string::npos;
         at = text->find(from, at + to.size())) {
      text->replace(at, from.size(), to);
    }
  }

  std::string store_;
  std::map<std::string, std::string> etags_;
  std::ostringstream out_;
};

std::string RunParityCalls(rt::Dapr::Stub& dapr, const std::string& store) {
  Transcript t(store);
  auto get = [&](const std::string& step, const std::string& key) {
    grpc::Status status;
    auto response = Get(dapr, store, key, &status);
    if (status.ok()) {
      t.Record(step, response);
    } else {
      t.Record(step, status);
    }
    return response;
  };
  t.Record("save a", Save(dapr, store, "a", "alpha"));
  auto a = get("get a", "a");
  t.Record("save a, wrong etag", Save(dapr, store, "a", "x", "999999"));
  t.Record("save a, malformed etag", Save(dapr, store, "a", "x", "not-a-number"));
  t.Record("save a, etag with a sign", Save(dapr, store, "a", "x", "-1"));
  t.Record("save a, current etag", Save(dapr, store, "a", "alpha2", a.etag()));
  auto a2 = get("get a again", "a");
  t.Record("save a, stale etag", Save(dapr, store, "a", "x", a.etag()));
  t.Record("first-write on existing a", Save(dapr, store, "a", "y", "", true));
  t.Record("first-write on new key", Save(dapr, store, "fresh", "f", "", true));
  t.Record("first-write with the etag", Save(dapr, store, "a", "alpha3", a2.etag(), true));
  auto a3 = get("get a after first-write", "a");
  t.Record("delete a, stale etag", Delete(dapr, store, "a", a2.etag()));
  t.Record("delete a, malformed etag", Delete(dapr, store, "a", "abc"));
  t.Record("delete a, current etag", Delete(dapr, store, "a", a3.etag()));
  get("get deleted a", "a");
  t.Record("save a again", Save(dapr, store, "a", "reborn"));
  t.Record("old etag on the new a", Save(dapr, store, "a", "x", a3.etag()));
  t.Record("delete missing key", Delete(dapr, store, "never"));
  t.Record("delete missing key with etag", Delete(dapr, store, "never", "777777"));
  t.Record("save with content type", Save(dapr, store, "typed", "{\"k\":1}", "", false,
                                          {{"contentType", "application/json"}}));
  get("get typed", "typed");

  t.Record("bulk save", [&] {
    rt::SaveStateRequest request;
    request.set_store_name(store);
    for (auto [k, v] : {std::pair{"b1", "one"}, std::pair{"b2", "two"}}) {
      auto* item = request.add_states();
      item->set_key(k);
      item->set_value(v);
    }
    google::protobuf::Empty empty;
    return dapr.SaveState(Deadline().get(), request, &empty);
  }());
  auto bulk = [&] {
    rt::GetBulkStateRequest request;
    request.set_store_name(store);
    for (const char* key : {"b1", "b2", "nothing", "a"}) request.add_keys(key);
    rt::GetBulkStateResponse response;
    auto status = dapr.GetBulkState(Deadline().get(), request, &response);
    std::map<std::string, std::string> items;
    for (const auto& item : response.items()) {
      items[item.key()] = item.data() + "/" + t.Etag(item.etag()) + "/" + item.error();
    }
    return std::pair{status, json(items).dump()};
  }();
  t.Record("bulk get", bulk.first);
  t.Record("bulk get items " + bulk.second, grpc::Status::OK);
  t.Record("bulk delete", BulkDelete(dapr, store, {"b1", "nothing"}));
  get("get b1 after bulk delete", "b1");

  t.Record("transaction", Transact(dapr, store,
                                   {{"upsert", "t1", "one", ""},
                                    {"upsert", "t1", "one again", ""},
                                    {"delete", "b2", "", ""}}));
  get("get t1", "t1");
  get("get b2", "b2");
  t.Record("transaction with a conflict",
           Transact(dapr, store, {{"upsert", "t2", "two", ""}, {"delete", "t1", "", "424242"}}));
  get("get t2 after the failed transaction", "t2");
  t.Record("transaction with a malformed etag",
           Transact(dapr, store, {{"upsert", "t3", "three", ""}, {"upsert", "t1", "x", "x"}}));
  get("get t3", "t3");
  t.Record("unknown operation", Transact(dapr, store, {{"merge", "t1", "x", ""}}));

  t.Record("save with ttl", Save(dapr, store, "ttl", "v", "", false, {{"ttlInSeconds", "100"}}));
  get("get ttl", "ttl");
  t.Record("save with ttl -1", Save(dapr, store, "ttl", "v", "", false, {{"ttlInSeconds", "-1"}}));
  get("get ttl -1", "ttl");
  t.Record("save with ttl 0", Save(dapr, store, "ttl", "v", "", false, {{"ttlInSeconds", "0"}}));
  t.Record("save with ttl abc",
           Save(dapr, store, "ttl", "v", "", false, {{"ttlInSeconds", "abc"}}));

  rt::QueryStateRequest query;
  query.set_store_name(store);
  query.set_query(R"({"filter": {"EQ": {"state": "CA"}}})");
  rt::QueryStateResponse query_response;
  // Only the code: the text of UNIMPLEMENTED comes from each language's gRPC library.
  auto query_status = dapr.QueryStateAlpha1(Deadline().get(), query, &query_response);
  t.Record("query", grpc::Status(query_status.error_code(), ""));
  return t.text();
}

// A SubscribeTopicEventsAlpha1 client: sends the initial request, reads on its own thread.
class Subscriber {
 public:
  Subscriber(rt::Dapr::Stub& dapr, const std::string& pubsub, const std::string& topic) {
    context_.set_deadline(std::chrono::system_clock::now() + 120s);
    stream_ = dapr.SubscribeTopicEventsAlpha1(&context_);
    rt::SubscribeTopicEventsRequestAlpha1 initial;
    initial.mutable_initial_request()->set_pubsub_name(pubsub);
    initial.mutable_initial_request()->set_topic(topic);
    stream_->Write(initial);
    reader_ = std::thread([this] {
      rt::SubscribeTopicEventsResponseAlpha1 response;
      while (stream_->Read(&response)) {
        std::lock_guard lock(mutex_);
        if (response.has_initial_response()) opened_ = true;
        if (response.has_event_message()) events_.push_back(response.event_message());
        cv_.notify_all();
      }
      std::lock_guard lock(mutex_);
      ended_ = true;
      cv_.notify_all();
    });
  }
  ~Subscriber() { Close(); }

  bool WaitOpened() {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, kPatience, [&] { return opened_ || ended_; });
    return opened_;
  }

  std::optional<rt::TopicEventRequest> Next() {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, kPatience, [&] { return !events_.empty() || ended_; }) ||
        events_.empty()) {
      return std::nullopt;
    }
    auto event = std::move(events_.front());
    events_.pop_front();
    return event;
  }

  bool Answer(const std::string& id, rt::TopicEventResponse::TopicEventResponseStatus status) {
    rt::SubscribeTopicEventsRequestAlpha1 processed;
    processed.mutable_event_processed()->set_id(id);
    processed.mutable_event_processed()->mutable_status()->set_status(status);
    std::lock_guard lock(write_mutex_);
    return stream_->Write(processed);
  }

  grpc::Status Close() {
    if (closed_) return status_;
    closed_ = true;
    {
      std::lock_guard lock(write_mutex_);
      stream_->WritesDone();
    }
    reader_.join();
    status_ = stream_->Finish();
    return status_;
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<rt::SubscribeTopicEventsRequestAlpha1,
                                           rt::SubscribeTopicEventsResponseAlpha1>>
      stream_;
  std::thread reader_;
  std::mutex write_mutex_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<rt::TopicEventRequest> events_;
  bool opened_ = false;
  bool ended_ = false;
  bool closed_ = false;
  grpc::Status status_;
};

grpc::Status Publish(rt::Dapr::Stub& dapr, const std::string& pubsub, const std::string& topic,
                     const std::string& data, std::map<std::string, std::string> metadata = {}) {
  rt::PublishEventRequest request;
  request.set_pubsub_name(pubsub);
  request.set_topic(topic);
  request.set_data(data);
  request.set_data_content_type("text/plain");
  request.mutable_metadata()->insert(metadata.begin(), metadata.end());
  google::protobuf::Empty empty;
  return dapr.PublishEvent(Deadline().get(), request, &empty);
}

std::map<std::string, std::set<std::string>> Capabilities(rt::Dapr::Stub& dapr) {
  rt::GetMetadataResponse metadata;
  REQUIRE(dapr.GetMetadata(Deadline().get(), rt::GetMetadataRequest{}, &metadata).ok());
  std::map<std::string, std::set<std::string>> components;
  for (const auto& c : metadata.registered_components()) {
    components[c.name() + "/" + c.type()] = {c.capabilities().begin(), c.capabilities().end()};
  }
  return components;
}

}  // namespace

TEST_CASE("the Python state store serves Dapr's state API per instance", "[integration]") {
  TempDir dir;
  auto sample = StartPythonSample(dir, "state_store.py", "py-state");
  REQUIRE(sample);
  RunningHost host(
      dir, dir.path(),
      {"--config",
       WriteConfig(
           dir,
           json::array({
               {{"name", "alpha"}, {"type", "state.py-state"}, {"metadata", {{"color", "red"}}}},
               {{"name", "beta"},
                {"type", "state.py-state"},
                {"metadata", {{"color", "blue"}, {"size", 3}}}},
           }))});
  REQUIRE(host.started());
  INFO("host log:\n" << host.Log() << "\nsample log:\n" << sample->Log());
  auto& dapr = host.dapr();

  CheckStateBehaviour(dapr, "alpha");

  // Each instance has its own data and its own Init metadata.
  REQUIRE(Save(dapr, "alpha", "shared-key", "from alpha").ok());
  CHECK(Get(dapr, "beta", "shared-key").data().empty());
  CHECK(json::parse(Get(dapr, "alpha", "__init_metadata__").data())["color"] == "red");
  auto beta_init = json::parse(Get(dapr, "beta", "__init_metadata__").data());
  CHECK(beta_init["color"] == "blue");
  CHECK(beta_init["size"] == "3");
  CHECK(Get(dapr, "beta", "__init_count__").data() == "1");
  // Keys arrive with the host's app-id prefix, as daprd sends them.
  auto stored = json::parse(Get(dapr, "alpha", "__stored_keys__").data());
  CHECK(std::find(stored.begin(), stored.end(), "python-app||shared-key") != stored.end());

  // A hung call costs its caller the deadline and blocks nothing else in the component.
  std::thread hung([&] {
    rt::GetStateRequest request;
    request.set_store_name("alpha");
    request.set_key("k__hang__");
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 1s);
    rt::GetStateResponse response;
    CHECK(dapr.GetState(&context, request, &response).error_code() ==
          grpc::StatusCode::DEADLINE_EXCEEDED);
  });
  CHECK(Get(dapr, "alpha", "shared-key").data() == "from alpha");
  hung.join();

  // Dapr's bulk-delete row-mismatch error, end to end; nothing is deleted.
  rt::DeleteBulkStateRequest mismatch;
  mismatch.set_store_name("alpha");
  mismatch.add_states()->set_key("shared-key");
  auto* flagged = mismatch.add_states();
  flagged->set_key("no-such-key");
  (*flagged->mutable_metadata())["__simulate_row_mismatch__"] = "true";
  google::protobuf::Empty empty;
  auto mismatch_status = dapr.DeleteBulkState(Deadline().get(), mismatch, &empty);
  CHECK(mismatch_status.error_code() == grpc::StatusCode::INTERNAL);
  CHECK_THAT(mismatch_status.error_message(),
             Catch::Contains("delete affected only 1 row(s), expected 2"));
  CHECK(Get(dapr, "alpha", "shared-key").data() == "from alpha");

  auto components = Capabilities(dapr);
  REQUIRE(components.count("alpha/state.py-state"));
  CHECK(components["alpha/state.py-state"] ==
        std::set<std::string>{"ETAG", "TRANSACTIONAL", "TTL"});

  // SIGTERM: the component stops cleanly and removes its socket and lock file.
  sample->Signal(SIGTERM);
  CHECK(sample->WaitExit(kPatience) == 0);
  CHECK_FALSE(WaitForSocket(dir.File("py-state.sock"), 100ms));
  CHECK(::access(dir.File("py-state.sock.lock").c_str(), F_OK) != 0);
}

TEST_CASE("a second Python sample never takes over a live socket", "[integration]") {
  TempDir dir;
  auto first = StartPythonSample(dir, "state_store.py", "taken");
  REQUIRE(first);
  auto second = ChildProcess::Spawn(
      {RequiredEnv("PYTHON_BIN"), RequiredEnv("PYTHON_SAMPLES_DIR") + "/pubsub.py", "--socket",
       dir.File("taken.sock"), "--stubs", RequiredEnv("PYTHON_STUBS_DIR")},
      dir.File("second.log"), kPythonEnv);
  CHECK(second->WaitExit(kStartPatience) == 1);
  CHECK_THAT(second->Log(), Catch::Contains("taken.sock"));
  CHECK(WaitForSocket(dir.File("taken.sock"), 1s));  // the first one still serves

  auto bad_args = ChildProcess::Spawn(
      {RequiredEnv("PYTHON_BIN"), RequiredEnv("PYTHON_SAMPLES_DIR") + "/state_store.py",
       "--no-such-flag", "--stubs", RequiredEnv("PYTHON_STUBS_DIR")},
      dir.File("bad.log"), kPythonEnv);
  CHECK(bad_args->WaitExit(kStartPatience) == 2);
}

TEST_CASE("the C++ sample and the Python state stores answer the same calls the same way",
          "[integration]") {
  TempDir dir;
  RedisServer redis(dir);
  REQUIRE(redis.started());
  auto cpp = StartSampleComponent(dir, "cpp");
  auto python = StartPythonSample(dir, "state_store.py", "py");
  auto python_redis = StartPythonSample(dir, "redis_state_store.py", "pyredis");
  REQUIRE(cpp);
  REQUIRE(python);
  REQUIRE(python_redis);
  RunningHost host(dir, dir.path(),
                   {"--config", WriteConfig(dir,
                                            json::array({
                                                {{"name", "store-cpp"}, {"type", "state.cpp"}},
                                                {{"name", "store-py"}, {"type", "state.py"}},
                                                {{"name", "store-redis"},
                                                 {"type", "state.pyredis"},
                                                 {"metadata", {{"redisHost", redis.address()}}}},
                                            }),
                                            "parity")});
  REQUIRE(host.started());
  INFO("host log:\n" << host.Log());

  std::string from_cpp = RunParityCalls(host.dapr(), "store-cpp");
  std::string from_python = RunParityCalls(host.dapr(), "store-py");
  std::string from_redis = RunParityCalls(host.dapr(), "store-redis");
  INFO("C++ sample transcript:\n" << from_cpp);
  CHECK(from_python == from_cpp);
  CHECK(from_redis == from_cpp);
  // The transcript really exercised the error paths (a sanity check on the test itself).
  CHECK_THAT(from_cpp, Catch::Contains("save a, wrong etag: 10 "));
  CHECK_THAT(from_cpp, Catch::Contains("save a, malformed etag: 3 "));
}

TEST_CASE("the Python Redis state store keeps state in a real Redis", "[integration]") {
  TempDir dir;
  RedisServer redis(dir);
  REQUIRE(redis.started());
  auto sample = StartPythonSample(dir, "redis_state_store.py", "py-redis");
  REQUIRE(sample);
  RunningHost host(
      dir, dir.path(),
      {"--config", WriteConfig(dir, json::array({
                                        {{"name", "cache"},
                                         {"type", "state.py-redis"},
                                         {"metadata", {{"redisHost", redis.address()}}}},
                                    }))});
  REQUIRE(host.started());
  INFO("host log:\n" << host.Log() << "\nsample log:\n" << sample->Log());
  auto& dapr = host.dapr();

  CheckStateBehaviour(dapr, "cache");
  auto components = Capabilities(dapr);
  REQUIRE(components.count("cache/state.py-redis"));
  CHECK(components["cache/state.py-redis"] ==
        std::set<std::string>{"ETAG", "TRANSACTIONAL", "TTL"});

  // The data lives in Redis, not in the component: a restarted component (re-initialised by
  // the host when its socket returns) reads what the old process wrote, with the same ETag.
  REQUIRE(Save(dapr, "cache", "durable", "kept in redis").ok());
  auto before = Get(dapr, "cache", "durable");
  sample->Signal(SIGTERM);
  REQUIRE(sample->WaitExit(kPatience) == 0);
  sample = StartPythonSample(dir, "redis_state_store.py", "py-redis");
  REQUIRE(sample);
  rt::GetStateResponse after;
  auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (std::chrono::steady_clock::now() < deadline) {
    grpc::Status status;
    after = Get(dapr, "cache", "durable", &status);
    if (status.ok()) break;
    std::this_thread::sleep_for(200ms);
  }
  CHECK(after.data() == "kept in redis");
  CHECK(after.etag() == before.etag());
}

TEST_CASE("a Redis store whose Redis is down stops the host, naming the component",
          "[integration]") {
  TempDir dir;
  auto sample = StartPythonSample(dir, "redis_state_store.py", "py-redis");
  REQUIRE(sample);
  int nothing_listens = FreeTcpPort();
  std::string config = WriteConfig(
      dir, json::array({
               {{"name", "orders-cache"},
                {"type", "state.py-redis"},
                {"metadata", {{"redisHost", "127.0.0.1:" + std::to_string(nothing_listens)}}}},
           }));
  auto host = ChildProcess::Spawn(
      {RequiredEnv("PLUGHOST_BIN"), "--sockets-dir", dir.path(), "--grpc-address",
       "127.0.0.1:" + std::to_string(FreeTcpPort()), "--ops-address", "off", "--config", config},
      dir.File("host.log"));
  auto exit_code = host->WaitExit(kStartPatience);
  INFO("host log:\n" << host->Log());
  REQUIRE(exit_code.has_value());
  CHECK(*exit_code != 0);
  CHECK_THAT(host->Log(), Catch::Contains("'orders-cache'"));
  CHECK_THAT(host->Log(), Catch::Contains("cannot connect to Redis at 127.0.0.1:" +
                                          std::to_string(nothing_listens)));

  // A missing redisHost is refused with a message naming the field.
  std::string no_host = WriteConfig(dir, json::array({
                                             {{"name", "no-host"}, {"type", "state.py-redis"}},
                                         }));
  auto second = ChildProcess::Spawn(
      {RequiredEnv("PLUGHOST_BIN"), "--sockets-dir", dir.path(), "--grpc-address",
       "127.0.0.1:" + std::to_string(FreeTcpPort()), "--ops-address", "off", "--config", no_host},
      dir.File("host2.log"));
  auto second_exit = second->WaitExit(kStartPatience);
  INFO("second host log:\n" << second->Log());
  REQUIRE(second_exit.has_value());
  CHECK(*second_exit != 0);
  CHECK_THAT(second->Log(), Catch::Contains("'no-host'"));
  CHECK_THAT(second->Log(), Catch::Contains("redisHost"));
}

TEST_CASE("the Python pub/sub delivers, redelivers and keeps events through the host",
          "[integration][pubsub]") {
  TempDir dir;
  auto sample = StartPythonSample(dir, "pubsub.py", "py-pubsub");
  REQUIRE(sample);
  RunningHost host(dir, dir.path());
  REQUIRE(host.started());
  INFO("host log:\n" << host.Log() << "\nsample log:\n" << sample->Log());
  auto& dapr = host.dapr();

  auto components = Capabilities(dapr);
  REQUIRE(components.count("py-pubsub/pubsub.py-pubsub"));
  CHECK(components["py-pubsub/pubsub.py-pubsub"].count("BULK_PUBSUB"));

  std::string first_id;
  {
    Subscriber subscriber(dapr, "py-pubsub", "orders");
    REQUIRE(subscriber.WaitOpened());
    REQUIRE(Publish(dapr, "py-pubsub", "orders", "first order").ok());
    auto event = subscriber.Next();
    REQUIRE(event);
    CHECK(event->data() == "first order");
    CHECK(event->topic() == "orders");
    CHECK(event->pubsub_name() == "py-pubsub");

    // RETRY: the host sends an ack error, and the component delivers the event again.
    REQUIRE(subscriber.Answer(event->id(), rt::TopicEventResponse::RETRY));
    auto again = subscriber.Next();
    REQUIRE(again);
    CHECK(again->id() == event->id());
    CHECK(again->data() == "first order");
    REQUIRE(subscriber.Answer(again->id(), rt::TopicEventResponse::SUCCESS));

    // Another topic's events do not arrive here.
    REQUIRE(Publish(dapr, "py-pubsub", "elsewhere", "not for you").ok());
    REQUIRE(Publish(dapr, "py-pubsub", "orders", "second order").ok());
    auto second = subscriber.Next();
    REQUIRE(second);
    CHECK(second->data() == "second order");
    first_id = second->id();
    CHECK(subscriber.Close().ok());  // gone without answering
  }

  // The event nobody processed, and one published while nobody listened, both arrive.
  REQUIRE(Publish(dapr, "py-pubsub", "orders", "while away").ok());
  Subscriber later(dapr, "py-pubsub", "orders");
  REQUIRE(later.WaitOpened());
  std::map<std::string, std::string> received;
  for (int i = 0; i < 2; ++i) {
    auto event = later.Next();
    REQUIRE(event);
    received[event->data()] = event->id();
    REQUIRE(later.Answer(event->id(), rt::TopicEventResponse::SUCCESS));
  }
  CHECK(received.count("while away") == 1);
  REQUIRE(received.count("second order") == 1);
  CHECK(received["second order"] == first_id);

  // The elsewhere topic kept its event for its first subscriber.
  Subscriber elsewhere(dapr, "py-pubsub", "elsewhere");
  REQUIRE(elsewhere.WaitOpened());
  auto kept = elsewhere.Next();
  REQUIRE(kept);
  CHECK(kept->data() == "not for you");
  elsewhere.Answer(kept->id(), rt::TopicEventResponse::SUCCESS);

  // The component's own errors reach the app.
  auto refused = Publish(dapr, "py-pubsub", "orders", "x", {{"failWith", "broker says no"}});
  CHECK_FALSE(refused.ok());
  CHECK_THAT(refused.error_message(), Catch::Contains("broker says no"));
}

}  // namespace plughost::testing
