// Pub/sub through the real host: PublishEvent and BulkPublishEvent into the built-in
// pubsub.in-memory and the pluggable C++ sample, delivered through SubscribeTopicEventsAlpha1
// and through a real AppCallback server (written here); RETRY redelivers, DROP does not,
// nothing the app has not processed is lost; Dapr's errors for bad calls.
#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "dapr/proto/runtime/v1/appcallback.grpc.pb.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
using namespace std::chrono_literals;
using nlohmann::json;
using EventStatus = rt::TopicEventResponse::TopicEventResponseStatus;

// Waits are generous bounds on a broken host, never asserted as timings.
constexpr auto kPatience = 10s;

const std::regex kUuidV4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

std::string WriteConfig(const TempDir& dir) {
  json config = {{"app_id", "pubsub-app"},
                 {"components", {{{"name", "pubsub"}, {"type", "pubsub.in-memory"}}}}};
  std::string path = dir.File("config.json");
  WriteFile(path, config.dump(2));
  return path;
}

grpc::Status Publish(rt::Dapr::Stub& dapr, const std::string& pubsub, const std::string& topic,
                     const std::string& data, const std::string& content_type = "text/plain",
                     std::map<std::string, std::string> metadata = {}) {
  rt::PublishEventRequest request;
  request.set_pubsub_name(pubsub);
  request.set_topic(topic);
  request.set_data(data);
  request.set_data_content_type(content_type);
  request.mutable_metadata()->insert(metadata.begin(), metadata.end());
  google::protobuf::Empty empty;
  return dapr.PublishEvent(Deadline().get(), request, &empty);
}

// A SubscribeTopicEventsAlpha1 client: sends the initial request at once, reads on a thread
// of its own, and answers events when the test says so.
class StreamSubscriber {
 public:
  StreamSubscriber(rt::Dapr::Stub& dapr, const std::string& pubsub, const std::string& topic,
                   std::map<std::string, std::string> metadata = {}) {
    rt::SubscribeTopicEventsRequestAlpha1 initial;
    auto* request = initial.mutable_initial_request();
    request->set_pubsub_name(pubsub);
    request->set_topic(topic);
    request->mutable_metadata()->insert(metadata.begin(), metadata.end());
    Start(dapr, initial);
  }
  // Sends `first` as the first message instead of an initial request.
  StreamSubscriber(rt::Dapr::Stub& dapr, const rt::SubscribeTopicEventsRequestAlpha1& first) {
    Start(dapr, first);
  }
  ~StreamSubscriber() { Close(); }

  // True once the host answered with initial_response.
  bool WaitOpened() {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, kPatience, [&] { return opened_ || ended_; });
    return opened_;
  }

  std::optional<rt::TopicEventRequest> Next(std::chrono::milliseconds timeout = kPatience) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return !events_.empty() || ended_; }) ||
        events_.empty()) {
      return std::nullopt;
    }
    auto event = std::move(events_.front());
    events_.pop_front();
    return event;
  }

  bool Answer(const std::string& id, EventStatus status) {
    rt::SubscribeTopicEventsRequestAlpha1 processed;
    processed.mutable_event_processed()->set_id(id);
    processed.mutable_event_processed()->mutable_status()->set_status(status);
    std::lock_guard lock(write_mutex_);
    return stream_->Write(processed);
  }

  // Half-closes, waits for the host to end the stream, and returns its status.
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
  void Start(rt::Dapr::Stub& dapr, const rt::SubscribeTopicEventsRequestAlpha1& first) {
    context_.set_deadline(std::chrono::system_clock::now() + 120s);
    stream_ = dapr.SubscribeTopicEventsAlpha1(&context_);
    stream_->Write(first);
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

std::vector<rt::PubsubSubscription> Subscriptions(rt::Dapr::Stub& dapr) {
  rt::GetMetadataResponse metadata;
  REQUIRE(dapr.GetMetadata(Deadline().get(), rt::GetMetadataRequest{}, &metadata).ok());
  return {metadata.subscriptions().begin(), metadata.subscriptions().end()};
}

// The app: subscribes to "app-orders" on both pubsubs (and to a pubsub that does not exist),
// and answers OnTopicEvent by the event's data: "retry-once:..." asks for a retry the first
// time, "fail-once:..." fails the call the first time, "drop:..." drops, anything else succeeds.
class TestApp final : public rt::AppCallback::Service {
 public:
  grpc::Status ListTopicSubscriptions(grpc::ServerContext*, const google::protobuf::Empty*,
                                      rt::ListTopicSubscriptionsResponse* response) override {
    auto* in_memory = response->add_subscriptions();
    in_memory->set_pubsub_name("pubsub");
    in_memory->set_topic("app-orders");
    in_memory->mutable_routes()->set_default_("/orders");
    auto* sample = response->add_subscriptions();
    sample->set_pubsub_name("cpp-sample");
    sample->set_topic("app-orders");
    auto* missing = response->add_subscriptions();
    missing->set_pubsub_name("no-such-pubsub");
    missing->set_topic("anything");
    return grpc::Status::OK;
  }

  grpc::Status OnTopicEvent(grpc::ServerContext*, const rt::TopicEventRequest* request,
                            rt::TopicEventResponse* response) override {
    std::lock_guard lock(mutex_);
    events_.push_back(*request);
    const std::string& data = request->data();
    bool first = seen_.insert(request->id()).second;
    if (data.rfind("retry-once:", 0) == 0 && first) {
      response->set_status(rt::TopicEventResponse::RETRY);
    } else if (data.rfind("fail-once:", 0) == 0 && first) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "not now");
    } else if (data.rfind("drop:", 0) == 0) {
      response->set_status(rt::TopicEventResponse::DROP);
    } else {
      response->set_status(rt::TopicEventResponse::SUCCESS);
    }
    return grpc::Status::OK;
  }

  // The events of `pubsub` whose data is `data`, in arrival order.
  std::vector<rt::TopicEventRequest> Events(const std::string& pubsub, const std::string& data) {
    std::lock_guard lock(mutex_);
    std::vector<rt::TopicEventRequest> matching;
    for (const auto& event : events_) {
      if (event.pubsub_name() == pubsub && event.data() == data) matching.push_back(event);
    }
    return matching;
  }

 private:
  std::mutex mutex_;
  std::vector<rt::TopicEventRequest> events_;
  std::set<std::string> seen_;
};

struct RunningApp {
  explicit RunningApp(int port) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:" + std::to_string(port),
                             grpc::InsecureServerCredentials());
    builder.RegisterService(&app);
    server = builder.BuildAndStart();
  }
  ~RunningApp() {
    if (server) server->Shutdown(std::chrono::system_clock::now() + 500ms);
  }
  TestApp app;
  std::unique_ptr<grpc::Server> server;
};

// True once the host has subscribed the app's topics on both pubsubs.
bool AppSubscribed(rt::Dapr::Stub& dapr) {
  int programmatic = 0;
  for (const auto& subscription : Subscriptions(dapr)) {
    if (subscription.type() == rt::PROGRAMMATIC) ++programmatic;
  }
  return programmatic == 2;
}

struct HostWithSample {
  TempDir dir;
  std::unique_ptr<ChildProcess> sample = StartSampleComponent(dir, "cpp-sample");
  RunningHost host{dir, dir.path(), {"--config", WriteConfig(dir)}};
};

}  // namespace

TEST_CASE("published events reach a streaming subscriber as CloudEvents", "[integration][pubsub]") {
  HostWithSample env;
  REQUIRE(env.sample);
  REQUIRE(env.host.started());
  INFO("host log:\n" << env.host.Log());
  auto& dapr = env.host.dapr();

  for (std::string pubsub : {"pubsub", "cpp-sample"}) {
    DYNAMIC_SECTION("pubsub " << pubsub) {
      StreamSubscriber subscriber(dapr, pubsub, "orders");
      REQUIRE(subscriber.WaitOpened());

      // GetMetadata lists the open stream.
      auto listed = Subscriptions(dapr);
      REQUIRE(listed.size() == 1);
      CHECK(listed[0].pubsub_name() == pubsub);
      CHECK(listed[0].topic() == "orders");
      CHECK(listed[0].type() == rt::STREAMING);

      REQUIRE(
          Publish(dapr, pubsub, "orders", R"({"order":1,"item":"tea"})", "application/json").ok());
      auto event = subscriber.Next();
      REQUIRE(event);
      CHECK(std::regex_match(event->id(), kUuidV4));
      CHECK(event->source() == "pubsub-app");
      CHECK(event->type() == "com.dapr.event.sent");
      CHECK(event->spec_version() == "1.0");
      CHECK(event->data_content_type() == "application/json");
      CHECK(json::parse(event->data()) == json::parse(R"({"order":1,"item":"tea"})"));
      CHECK(event->topic() == "orders");
      CHECK(event->pubsub_name() == pubsub);
      CHECK(event->extensions().fields().at("topic").string_value() == "orders");
      REQUIRE(subscriber.Answer(event->id(), rt::TopicEventResponse::SUCCESS));

      REQUIRE(Publish(dapr, pubsub, "orders", "plain text").ok());
      auto text = subscriber.Next();
      REQUIRE(text);
      CHECK(text->data() == "plain text");
      CHECK(text->data_content_type() == "text/plain");
      REQUIRE(subscriber.Answer(text->id(), rt::TopicEventResponse::SUCCESS));

      // An app's own CloudEvent keeps its id and extension fields.
      REQUIRE(Publish(dapr, pubsub, "orders",
                      R"({"id":"my-event-1","source":"elsewhere","type":"custom.type",)"
                      R"("specversion":"1.0","datacontenttype":"text/plain","data":"own",)"
                      R"("color":"green"})",
                      "application/cloudevents+json")
                  .ok());
      auto own = subscriber.Next();
      REQUIRE(own);
      CHECK(own->id() == "my-event-1");
      CHECK(own->source() == "elsewhere");
      CHECK(own->type() == "custom.type");
      CHECK(own->data() == "own");
      CHECK(own->extensions().fields().at("color").string_value() == "green");
      REQUIRE(subscriber.Answer(own->id(), rt::TopicEventResponse::SUCCESS));

      // Binary data travels base64-encoded and arrives as the original bytes.
      std::string bytes("\x00\x01\xfe\xff", 4);
      REQUIRE(Publish(dapr, pubsub, "orders", bytes, "application/octet-stream").ok());
      auto binary = subscriber.Next();
      REQUIRE(binary);
      CHECK(binary->data() == bytes);
      REQUIRE(subscriber.Answer(binary->id(), rt::TopicEventResponse::SUCCESS));

      // Another topic's events do not arrive here.
      REQUIRE(Publish(dapr, pubsub, "other-topic", "not for you").ok());
      REQUIRE(Publish(dapr, pubsub, "orders", "for you").ok());
      auto mine = subscriber.Next();
      REQUIRE(mine);
      CHECK(mine->data() == "for you");
      REQUIRE(subscriber.Answer(mine->id(), rt::TopicEventResponse::SUCCESS));

      CHECK(subscriber.Close().ok());
      // The host lists the stream until its reactor is done, which may come just after the
      // client saw the stream's status.
      CHECK(Eventually([&] { return Subscriptions(dapr).empty(); }));
    }
  }
}

TEST_CASE("RETRY redelivers an event and DROP does not", "[integration][pubsub]") {
  HostWithSample env;
  REQUIRE(env.sample);
  REQUIRE(env.host.started());
  INFO("host log:\n" << env.host.Log());
  auto& dapr = env.host.dapr();

  for (std::string pubsub : {"pubsub", "cpp-sample"}) {
    DYNAMIC_SECTION("pubsub " << pubsub) {
      StreamSubscriber subscriber(dapr, pubsub, "jobs");
      REQUIRE(subscriber.WaitOpened());

      REQUIRE(Publish(dapr, pubsub, "jobs", "retry me").ok());
      auto first = subscriber.Next();
      REQUIRE(first);
      REQUIRE(subscriber.Answer(first->id(), rt::TopicEventResponse::RETRY));
      auto second = subscriber.Next();
      REQUIRE(second);
      CHECK(second->id() == first->id());
      CHECK(second->data() == "retry me");
      REQUIRE(subscriber.Answer(second->id(), rt::TopicEventResponse::SUCCESS));

      REQUIRE(Publish(dapr, pubsub, "jobs", "drop me").ok());
      auto dropped = subscriber.Next();
      REQUIRE(dropped);
      CHECK(dropped->data() == "drop me");
      REQUIRE(subscriber.Answer(dropped->id(), rt::TopicEventResponse::DROP));

      // Neither the acked nor the dropped event comes back; the next one is new.
      REQUIRE(Publish(dapr, pubsub, "jobs", "marker").ok());
      auto marker = subscriber.Next();
      REQUIRE(marker);
      CHECK(marker->data() == "marker");
      REQUIRE(subscriber.Answer(marker->id(), rt::TopicEventResponse::SUCCESS));
      CHECK_FALSE(subscriber.Next(2s));
      CHECK_THAT(env.host.Log(), Catch::Contains("the app dropped event " + dropped->id()));
    }
  }
}

TEST_CASE("an event the subscriber never processed is not lost when it disconnects",
          "[integration][pubsub]") {
  HostWithSample env;
  REQUIRE(env.sample);
  REQUIRE(env.host.started());
  INFO("host log:\n" << env.host.Log());
  auto& dapr = env.host.dapr();

  // The sample keeps a topic's messages until a subscriber acks them, like a broker queue.
  std::string id;
  {
    StreamSubscriber first(dapr, "cpp-sample", "queue");
    REQUIRE(first.WaitOpened());
    REQUIRE(Publish(dapr, "cpp-sample", "queue", "precious").ok());
    auto event = first.Next();
    REQUIRE(event);
    id = event->id();
    CHECK(first.Close().ok());  // gone without answering
  }
  StreamSubscriber second(dapr, "cpp-sample", "queue");
  REQUIRE(second.WaitOpened());
  auto again = second.Next();
  REQUIRE(again);
  CHECK(again->id() == id);
  CHECK(again->data() == "precious");
  REQUIRE(second.Answer(again->id(), rt::TopicEventResponse::SUCCESS));

  // Published while nobody listens: kept and delivered to the next subscriber.
  REQUIRE(second.Close().ok());
  REQUIRE(Publish(dapr, "cpp-sample", "queue", "while away").ok());
  StreamSubscriber third(dapr, "cpp-sample", "queue");
  REQUIRE(third.WaitOpened());
  auto kept = third.Next();
  REQUIRE(kept);
  CHECK(kept->data() == "while away");
  third.Answer(kept->id(), rt::TopicEventResponse::SUCCESS);
}

TEST_CASE("rawPayload publishes and delivers the bytes without an envelope",
          "[integration][pubsub]") {
  HostWithSample env;
  REQUIRE(env.sample);
  REQUIRE(env.host.started());
  INFO("host log:\n" << env.host.Log());
  auto& dapr = env.host.dapr();

  for (std::string pubsub : {"pubsub", "cpp-sample"}) {
    DYNAMIC_SECTION("pubsub " << pubsub) {
      StreamSubscriber raw(dapr, pubsub, "raw", {{"rawPayload", "true"}});
      REQUIRE(raw.WaitOpened());
      REQUIRE(Publish(dapr, pubsub, "raw", "<xml>as is</xml>", "application/xml",
                      {{"rawPayload", "true"}})
                  .ok());
      auto event = raw.Next();
      REQUIRE(event);
      CHECK(event->data() == "<xml>as is</xml>");
      CHECK(event->data_content_type() == "application/octet-stream");
      CHECK(std::regex_match(event->id(), kUuidV4));
      raw.Answer(event->id(), rt::TopicEventResponse::SUCCESS);
    }
  }
}

TEST_CASE("bulk publish delivers every entry and reports none failed", "[integration][pubsub]") {
  HostWithSample env;
  REQUIRE(env.sample);
  REQUIRE(env.host.started());
  INFO("host log:\n" << env.host.Log());
  auto& dapr = env.host.dapr();

  // pubsub.in-memory has no BULK_PUBSUB (the host fans out to Publish); the sample has it.
  for (std::string pubsub : {"pubsub", "cpp-sample"}) {
    for (bool alpha : {false, true}) {
      DYNAMIC_SECTION("pubsub " << pubsub << (alpha ? " BulkPublishEventAlpha1" : "")) {
        StreamSubscriber subscriber(dapr, pubsub, "bulk");
        REQUIRE(subscriber.WaitOpened());
        rt::BulkPublishRequest request;
        request.set_pubsub_name(pubsub);
        request.set_topic("bulk");
        std::set<std::string> expected;
        for (int i = 0; i < 5; ++i) {
          auto* entry = request.add_entries();
          entry->set_entry_id("e" + std::to_string(i));
          entry->set_event(R"({"n":)" + std::to_string(i) + "}");
          entry->set_content_type("application/json");
          expected.insert(R"({"n":)" + std::to_string(i) + "}");
        }
        rt::BulkPublishResponse response;
        auto status = alpha ? dapr.BulkPublishEventAlpha1(Deadline().get(), request, &response)
                            : dapr.BulkPublishEvent(Deadline().get(), request, &response);
        REQUIRE(status.ok());
        CHECK(response.failedentries().empty());
        std::set<std::string> received;
        while (received.size() < expected.size()) {
          auto event = subscriber.Next();
          REQUIRE(event);
          CHECK(event->data_content_type() == "application/json");
          received.insert(json::parse(event->data()).dump());
          subscriber.Answer(event->id(), rt::TopicEventResponse::SUCCESS);
        }
        CHECK(received == expected);

        // Entry ids must be present and unique.
        request.mutable_entries(1)->set_entry_id("e0");
        auto duplicate = dapr.BulkPublishEvent(Deadline().get(), request, &response);
        CHECK(duplicate.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
        CHECK(duplicate.error_message() ==
              "error marshaling events to bytes for topic bulk pubsub " + pubsub +
                  ". error: entryId is duplicated or not present for entry");
      }
    }
  }
}

TEST_CASE("pub/sub calls with bad arguments get Dapr's errors", "[integration][pubsub]") {
  HostWithSample env;
  REQUIRE(env.sample);
  REQUIRE(env.host.started());
  INFO("host log:\n" << env.host.Log());
  auto& dapr = env.host.dapr();

  auto unknown = Publish(dapr, "nope", "t", "x");
  CHECK(unknown.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(unknown.error_message() == "pubsub nope is not found");
  auto no_name = Publish(dapr, "", "t", "x");
  CHECK(no_name.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(no_name.error_message() == "pubsub name is empty");
  auto no_topic = Publish(dapr, "pubsub", "", "x");
  CHECK(no_topic.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(no_topic.error_message() == "topic is empty in pubsub pubsub");
  auto bad_raw = Publish(dapr, "pubsub", "t", "x", "text/plain", {{"rawPayload", "maybe"}});
  CHECK(bad_raw.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(bad_raw.error_message() ==
        "failed deserializing metadata. Error: rawPayload value must be a valid boolean: actual "
        "is 'maybe'");
  auto bad_event = Publish(dapr, "pubsub", "t", "{not json", "application/cloudevents+json");
  CHECK(bad_event.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(bad_event.error_message() == "cannot create cloudevent");

  // A component's refusal, in Dapr's words.
  auto refused = Publish(dapr, "cpp-sample", "t", "x", "text/plain", {{"failWith", "broker full"}});
  CHECK(refused.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(refused.error_message() ==
        "error when publishing to topic t in pubsub cpp-sample: broker full");

  // A bulk publish the component partly refuses reports just those entries.
  {
    StreamSubscriber subscriber(dapr, "cpp-sample", "partial");
    REQUIRE(subscriber.WaitOpened());
    rt::BulkPublishRequest partial;
    partial.set_pubsub_name("cpp-sample");
    partial.set_topic("partial");
    for (std::string id : {"ok-1", "bad", "ok-2"}) {
      auto* entry = partial.add_entries();
      entry->set_entry_id(id);
      entry->set_event("event " + id);
      entry->set_content_type("text/plain");
      if (id == "bad") (*entry->mutable_metadata())["failWith"] = "no room for this one";
    }
    rt::BulkPublishResponse partial_response;
    REQUIRE(dapr.BulkPublishEvent(Deadline().get(), partial, &partial_response).ok());
    REQUIRE(partial_response.failedentries_size() == 1);
    CHECK(partial_response.failedentries(0).entry_id() == "bad");
    CHECK(partial_response.failedentries(0).error() == "no room for this one");
    std::set<std::string> received;
    for (int i = 0; i < 2; ++i) {
      auto event = subscriber.Next();
      REQUIRE(event);
      received.insert(event->data());
      subscriber.Answer(event->id(), rt::TopicEventResponse::SUCCESS);
    }
    CHECK(received == std::set<std::string>{"event ok-1", "event ok-2"});
  }

  rt::BulkPublishRequest bulk;
  bulk.set_pubsub_name("nope");
  bulk.set_topic("t");
  rt::BulkPublishResponse bulk_response;
  auto bulk_unknown = dapr.BulkPublishEvent(Deadline().get(), bulk, &bulk_response);
  CHECK(bulk_unknown.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(bulk_unknown.error_message() == "pubsub nope is not found");

  // Streams: the first message must be the initial request naming a known pubsub and a topic.
  rt::SubscribeTopicEventsRequestAlpha1 processed_first;
  processed_first.mutable_event_processed()->set_id("x");
  StreamSubscriber no_initial(dapr, processed_first);
  CHECK_FALSE(no_initial.WaitOpened());
  auto no_initial_status = no_initial.Close();
  CHECK(no_initial_status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(no_initial_status.error_message() == "initial request is required");

  StreamSubscriber unknown_stream(dapr, "nope", "t");
  CHECK_FALSE(unknown_stream.WaitOpened());
  auto unknown_status = unknown_stream.Close();
  CHECK(unknown_status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(unknown_status.error_message() == "pubsub nope is not found");

  StreamSubscriber no_topic_stream(dapr, "pubsub", "");
  CHECK_FALSE(no_topic_stream.WaitOpened());
  CHECK(no_topic_stream.Close().error_message() == "topic is required");
}

TEST_CASE("events reach the app's OnTopicEvent; RETRY and errors redeliver, DROP does not",
          "[integration][pubsub]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "cpp-sample");
  REQUIRE(sample);
  int app_port = FreeTcpPort();
  RunningApp app(app_port);
  REQUIRE(app.server);
  RunningHost host(
      dir, dir.path(),
      {"--config", WriteConfig(dir), "--app-address", "127.0.0.1:" + std::to_string(app_port)});
  REQUIRE(host.started());
  INFO("host log:\n" << host.Log());
  auto& dapr = host.dapr();
  REQUIRE(Eventually([&] { return AppSubscribed(dapr); }));

  SECTION("GetMetadata lists the app's subscriptions; unknown pubsubs are skipped") {
    std::map<std::string, rt::PubsubSubscription> by_pubsub;
    for (const auto& subscription : Subscriptions(dapr)) {
      by_pubsub[subscription.pubsub_name()] = subscription;
    }
    REQUIRE(by_pubsub.size() == 2);
    CHECK(by_pubsub["pubsub"].topic() == "app-orders");
    CHECK(by_pubsub["pubsub"].type() == rt::PROGRAMMATIC);
    REQUIRE(by_pubsub["pubsub"].rules().rules_size() == 1);
    CHECK(by_pubsub["pubsub"].rules().rules(0).path() == "/orders");
    CHECK(by_pubsub["cpp-sample"].topic() == "app-orders");
    CHECK_THAT(host.Log(), Catch::Contains("pubsub 'no-such-pubsub', but no such pubsub"));
  }

  for (std::string pubsub : {"pubsub", "cpp-sample"}) {
    DYNAMIC_SECTION("pubsub " << pubsub) {
      REQUIRE(Publish(dapr, pubsub, "app-orders", R"({"hello":"app"})", "application/json").ok());
      REQUIRE(Eventually([&] { return !app.app.Events(pubsub, R"({"hello":"app"})").empty(); }));
      auto event = app.app.Events(pubsub, R"({"hello":"app"})").front();
      CHECK(std::regex_match(event.id(), kUuidV4));
      CHECK(event.source() == "pubsub-app");
      CHECK(event.type() == "com.dapr.event.sent");
      CHECK(event.spec_version() == "1.0");
      CHECK(event.data_content_type() == "application/json");
      CHECK(event.topic() == "app-orders");
      CHECK(event.pubsub_name() == pubsub);
      CHECK(event.path() == (pubsub == "pubsub" ? "/orders" : ""));

      // RETRY, and a failed call, both bring the same event back.
      REQUIRE(Publish(dapr, pubsub, "app-orders", "retry-once:a").ok());
      REQUIRE(Eventually([&] { return app.app.Events(pubsub, "retry-once:a").size() >= 2; }));
      auto retried = app.app.Events(pubsub, "retry-once:a");
      CHECK(retried[0].id() == retried[1].id());
      REQUIRE(Publish(dapr, pubsub, "app-orders", "fail-once:b").ok());
      REQUIRE(Eventually([&] { return app.app.Events(pubsub, "fail-once:b").size() >= 2; }));

      // DROP is final; so is SUCCESS.
      REQUIRE(Publish(dapr, pubsub, "app-orders", "drop:c").ok());
      REQUIRE(Eventually([&] { return !app.app.Events(pubsub, "drop:c").empty(); }));
      REQUIRE(Publish(dapr, pubsub, "app-orders", "marker").ok());
      REQUIRE(Eventually([&] { return !app.app.Events(pubsub, "marker").empty(); }));
      std::this_thread::sleep_for(2s);  // room for a wrong redelivery to show up
      CHECK(app.app.Events(pubsub, "drop:c").size() == 1);
      CHECK(app.app.Events(pubsub, "marker").size() == 1);
      CHECK(app.app.Events(pubsub, "retry-once:a").size() == 2);
      CHECK(app.app.Events(pubsub, "fail-once:b").size() == 2);
      CHECK(app.app.Events(pubsub, R"({"hello":"app"})").size() == 1);
      CHECK_THAT(host.Log(), Catch::Contains("the app dropped event"));
    }
  }
}

TEST_CASE("a message published before the app is up reaches it once it is",
          "[integration][pubsub]") {
  TempDir dir;
  auto sample = StartSampleComponent(dir, "cpp-sample");
  REQUIRE(sample);
  int app_port = FreeTcpPort();
  RunningHost host(
      dir, dir.path(),
      {"--config", WriteConfig(dir), "--app-address", "127.0.0.1:" + std::to_string(app_port)});
  REQUIRE(host.started());
  INFO("host log:\n" << host.Log());
  auto& dapr = host.dapr();

  // Nobody answers on the app port yet: the host keeps asking.
  REQUIRE(Eventually([&] {
    return host.Log().find("cannot list the app's topic subscriptions") != std::string::npos;
  }));
  // The sample keeps the message until a subscriber takes it.
  REQUIRE(Publish(dapr, "cpp-sample", "app-orders", "sent early").ok());
  std::this_thread::sleep_for(500ms);

  RunningApp app(app_port);
  REQUIRE(app.server);
  REQUIRE(Eventually([&] { return !app.app.Events("cpp-sample", "sent early").empty(); }));
  CHECK(app.app.Events("cpp-sample", "sent early").front().topic() == "app-orders");

  // The built-in subscription is live too.
  REQUIRE(Eventually([&] { return AppSubscribed(dapr); }));
  REQUIRE(Publish(dapr, "pubsub", "app-orders", "sent later").ok());
  REQUIRE(Eventually([&] { return !app.app.Events("pubsub", "sent later").empty(); }));
}

TEST_CASE("open subscriptions keep receiving after a pluggable pubsub restarts",
          "[integration][pubsub]") {
  HostWithSample env;
  REQUIRE(env.sample);
  REQUIRE(env.host.started());
  INFO("host log:\n" << env.host.Log());
  auto& dapr = env.host.dapr();

  StreamSubscriber subscriber(dapr, "cpp-sample", "restart");
  REQUIRE(subscriber.WaitOpened());
  REQUIRE(Publish(dapr, "cpp-sample", "restart", "before").ok());
  auto before = subscriber.Next();
  REQUIRE(before);
  CHECK(before->data() == "before");
  subscriber.Answer(before->id(), rt::TopicEventResponse::SUCCESS);

  env.sample->Signal(SIGKILL);
  REQUIRE(env.sample->WaitExit(5s).has_value());
  env.sample = StartSampleComponent(env.dir, "cpp-sample");
  REQUIRE(env.sample);
  // Publishing works again once the host has re-initialised the component...
  REQUIRE(Eventually([&] { return Publish(dapr, "cpp-sample", "restart", "after").ok(); }));
  // ...and the same app stream gets it: the host re-opened its stream to the new process.
  auto after = subscriber.Next(20s);
  REQUIRE(after);
  CHECK(after->data() == "after");
  subscriber.Answer(after->id(), rt::TopicEventResponse::SUCCESS);
  CHECK_THAT(env.host.Log(), Catch::Contains("message stream for topic restart ended"));
}

TEST_CASE("shutting down ends streaming subscriptions instead of waiting for them",
          "[integration][pubsub]") {
  HostWithSample env;
  REQUIRE(env.sample);
  REQUIRE(env.host.started());
  INFO("host log:\n" << env.host.Log());
  StreamSubscriber subscriber(env.host.dapr(), "pubsub", "orders");
  REQUIRE(subscriber.WaitOpened());
  env.host.process().Signal(SIGTERM);
  auto exit_code = env.host.process().WaitExit(20s);
  REQUIRE(exit_code.has_value());
  CHECK(*exit_code == 0);
  auto status = subscriber.Close();
  CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(status.error_message() == "the host is shutting down");
}

TEST_CASE("the embedded defaults serve \"pubsub\"", "[integration][pubsub]") {
  TempDir dir;
  RunningHost host(dir, dir.path());
  REQUIRE(host.started());
  StreamSubscriber subscriber(host.dapr(), "pubsub", "defaults");
  REQUIRE(subscriber.WaitOpened());
  REQUIRE(Publish(host.dapr(), "pubsub", "defaults", "built in").ok());
  auto event = subscriber.Next();
  REQUIRE(event);
  CHECK(event->data() == "built in");
  subscriber.Answer(event->id(), rt::TopicEventResponse::SUCCESS);
}

}  // namespace plughost::testing
