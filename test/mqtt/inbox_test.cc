// The MQTT component's parts without a broker: Dapr's metadata parsing, MQTT filter matching,
// and the Inbox's at-least-once bookkeeping (ack, rejection, detach, held messages).
#include <catch2/catch.hpp>

#include <mutex>
#include <vector>

#include "components/mqtt/inbox.h"
#include "components/mqtt/settings.h"
#include "test/support/process.h"

namespace plughost::mqtt {
namespace {

using namespace std::chrono_literals;

struct Sent {
  std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> deliveries;  // id, payload
  bool open = true;

  Consumer::Send Sink() {
    return [this](const std::string& id, const ReceivedMessage& message) {
      std::lock_guard lock(mutex);
      if (!open) return false;
      deliveries.emplace_back(id, message.payload);
      return true;
    };
  }
  size_t size() {
    std::lock_guard lock(mutex);
    return deliveries.size();
  }
  std::pair<std::string, std::string> at(size_t i) {
    std::lock_guard lock(mutex);
    return deliveries.at(i);
  }
};

ReceivedMessage Message(const std::string& topic, const std::string& payload) {
  return ReceivedMessage{topic, payload, false};
}

}  // namespace

TEST_CASE("mqtt metadata is parsed as Dapr's mqtt3", "[mqtt]") {
  auto settings = ParseMqttSettings({{"url", "mqtt://user:p%40ss@broker:1884"},
                                     {"consumerID", "app"},
                                     {"retain", "true"},
                                     {"cleansession", "true"}});
  REQUIRE(settings.ok());
  CHECK(settings->broker.host == "broker");
  CHECK(settings->broker.port == 1884);
  CHECK(settings->broker.username == "user");
  CHECK(settings->broker.password == "p@ss");
  CHECK_FALSE(settings->broker.tls);
  CHECK(settings->qos == 1);
  CHECK(settings->retain);
  CHECK(settings->clean_session);

  auto tls = ParseMqttSettings({{"url", "ssl://broker"}, {"consumerID", "app"}});
  REQUIRE(tls.ok());
  CHECK(tls->broker.tls);
  CHECK(tls->broker.port == 8883);

  CHECK(ParseMqttSettings({{"consumerID", "app"}}).status().message() == "mqtt: missing url");
  CHECK(ParseMqttSettings({{"url", "tcp://h:1"}}).status().message() == "mqtt: missing consumerID");
  CHECK_FALSE(ParseMqttSettings({{"url", "http://h:1"}, {"consumerID", "a"}}).ok());
  CHECK_FALSE(ParseMqttSettings({{"url", "tcp://h:1"}, {"consumerID", "a"}, {"qos", "8"}}).ok());
  CHECK_FALSE(
      ParseMqttSettings({{"url", "tcp://h:1"}, {"consumerID", "a"}, {"retain", "yes"}}).ok());
}

TEST_CASE("mqtt filters match as MQTT's", "[mqtt]") {
  CHECK(FilterMatches("a/+/c", "a/b/c"));
  CHECK_FALSE(FilterMatches("a/+/c", "a/b/d"));
  CHECK(FilterMatches("a/#", "a/b/c"));
  CHECK(FilterMatches("a/#", "a"));
  CHECK_FALSE(FilterMatches("a/+", "a"));
  CHECK(FilterMatches("$share/group/a/+", "a/b"));
  CHECK_FALSE(FilterMatches("$share/group/a/+", "b/b"));
}

TEST_CASE(
    "the inbox: acked messages end, rejected ones come back, a detached stream's go to the next",
    "[mqtt]") {
  InboxOptions options;
  options.redelivery = {10ms, 1.0, 0.0, 10ms};
  options.max_in_flight = 2;
  auto inbox = std::make_shared<Inbox>(options);

  inbox->Receive(Message("t/early", "held"));  // no consumer yet: held
  CHECK(inbox->held() == 1);

  Sent first;
  auto consumer = inbox->Attach("t/+", first.Sink());
  CHECK(inbox->held() == 0);
  REQUIRE(first.size() == 1);
  CHECK(first.at(0).second == "held");

  inbox->Receive(Message("t/a", "one"));
  inbox->Receive(Message("t/a", "two"));
  inbox->Receive(Message("other", "not mine"));
  CHECK(first.size() == 2);  // at most 2 unanswered
  consumer->OnAck(first.at(0).first, true);
  REQUIRE(first.size() == 3);
  CHECK(first.at(2).second == "two");

  consumer->OnAck(first.at(1).first, false);  // "one" rejected: back after the backoff
  REQUIRE(testing::Eventually([&] { return first.size() == 4; }, 5s));
  CHECK(first.at(3).second == "one");

  // "two" and "one" are unanswered when the stream ends: the next stream gets them, in order.
  consumer->Detach();
  Sent second;
  auto next = inbox->Attach("t/+", second.Sink());
  REQUIRE(second.size() == 2);
  CHECK(second.at(0).second == "one");
  CHECK(second.at(1).second == "two");
  next->OnAck(second.at(0).first, true);
  next->OnAck(second.at(1).first, true);
  next->Detach();
  CHECK(inbox->held() == 1);  // "not mine", never routed
}

TEST_CASE("the inbox drops a message rejected more than max_redeliveries times", "[mqtt]") {
  InboxOptions options;
  options.redelivery = {10ms, 1.0, 0.0, 10ms};
  options.max_redeliveries = 1;
  auto inbox = std::make_shared<Inbox>(options);
  Sent sent;
  auto consumer = inbox->Attach("t", sent.Sink());
  inbox->Receive(Message("t", "flaky"));
  REQUIRE(sent.size() == 1);
  consumer->OnAck(sent.at(0).first, false);
  REQUIRE(testing::Eventually([&] { return sent.size() == 2; }, 5s));
  consumer->OnAck(sent.at(1).first, false);
  consumer->Detach();
  CHECK(inbox->held() == 0);
}

}  // namespace plughost::mqtt
