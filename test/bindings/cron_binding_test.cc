#include "host/builtins/cron_binding.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace plughost {
namespace {

grpc::Status InitWith(CronBinding& binding, std::map<std::string, std::string> metadata) {
  grpc::Status result(grpc::StatusCode::UNKNOWN, "done never called");
  binding.Init(InitSpec{"ticker", "bindings.cron", std::move(metadata)},
               [&result](grpc::Status status) { result = std::move(status); });
  return result;
}

// Collects delivered events; waits are generous and never asserted as timings.
struct Events {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<bindingspb::ReadResponse> received;

  BindingEventHandler Handler() {
    return [this](bindingspb::ReadResponse event, Callback<std::string> reply) {
      {
        std::lock_guard lock(mutex);
        received.push_back(std::move(event));
      }
      changed.notify_all();
      reply(grpc::Status::OK, "");
    };
  }
  bool WaitFor(size_t count) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(10),
                            [&] { return received.size() >= count; });
  }
  size_t Count() {
    std::lock_guard lock(mutex);
    return received.size();
  }
};

}  // namespace

TEST_CASE("bindings.cron: Init needs a valid schedule and names the field", "[cron]") {
  CronBinding binding;
  auto missing = InitWith(binding, {});
  CHECK(missing.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(missing.error_message(), Catch::Contains("metadata \"schedule\" is required"));

  auto bad = InitWith(binding, {{"schedule", "61 * * * *"}});
  CHECK(bad.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(bad.error_message(), Catch::Contains("metadata \"schedule\" \"61 * * * *\""));
  CHECK_THAT(bad.error_message(), Catch::Contains("minute field"));

  CHECK(InitWith(binding, {{"schedule", "@every 15s"}}).ok());
  CHECK(InitWith(binding, {{"schedule", "*/5 * * * *"}}).ok());
  CHECK(binding.Features() == std::vector<std::string>{kFeatureInputBinding});
}

TEST_CASE("bindings.cron: ticks reach every open reader until it is closed", "[cron]") {
  CronBinding binding;
  REQUIRE(InitWith(binding, {{"schedule", "@every 20ms"}}).ok());
  Events first;
  Events second;
  auto first_subscription = binding.Read(first.Handler());
  auto second_subscription = binding.Read(second.Handler());
  REQUIRE(first.WaitFor(3));
  REQUIRE(second.WaitFor(3));
  {
    std::lock_guard lock(first.mutex);
    const auto& event = first.received.front();
    CHECK(event.data().empty());
    CHECK(event.metadata().at("schedule") == "@every 20ms");
    CHECK(event.metadata().count("readTimeUTC") == 1);
    CHECK_FALSE(event.message_id().empty());
    CHECK(first.received[0].message_id() != first.received[1].message_id());
  }

  // Once Close returns, that reader gets nothing more; the other one keeps ticking.
  first_subscription->Close();
  size_t after_close = first.Count();
  size_t second_before = second.Count();
  REQUIRE(second.WaitFor(second_before + 3));
  CHECK(first.Count() == after_close);
}

TEST_CASE("bindings.cron: destroying the binding stops its timer", "[cron]") {
  Events events;
  std::unique_ptr<Subscription> subscription;
  {
    CronBinding binding;
    REQUIRE(InitWith(binding, {{"schedule", "@every 10ms"}}).ok());
    subscription = binding.Read(events.Handler());
    REQUIRE(events.WaitFor(2));
  }
  size_t after = events.Count();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(events.Count() == after);
  subscription->Close();  // outliving the binding is harmless
}

}  // namespace plughost
