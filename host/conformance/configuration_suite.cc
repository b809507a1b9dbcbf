// Conformance cases for configuration stores (plughost.components.v1.Configuration). Which items
// a store holds depends on the store (often on its Init metadata, given with --metadata); the
// cases read whatever it holds.
#include <future>

#include <fmt/format.h>

#include "host/components/configuration_store.h"
#include "host/conformance/await.h"
#include "host/conformance/suite.h"

namespace plughost::conformance {
namespace {

class ConfigurationCases {
 public:
  ConfigurationCases(Suite& suite, ConfigurationStore& store) : suite_(suite), store_(store) {}

  void RunAll() {
    bool listed = suite_.Run("get-all", [&] { return GetAll(); });
    if (listed) {
      suite_.Run("get-known", [&] { return GetKnown(); });
    } else {
      suite_.SkipCase("get-known", "Get of every item failed");
    }
    suite_.Run("get-unknown", [&] { return GetUnknown(); });
    suite_.Run("subscribe", [&] { return SubscribeCase(); });
  }

 private:
  Reply<configpb::GetConfigurationResponse> Get(std::vector<std::string> keys) {
    configpb::GetConfigurationRequest request;
    for (auto& key : keys) request.add_keys(std::move(key));
    return Await<configpb::GetConfigurationResponse>(
        [&](Callback<configpb::GetConfigurationResponse> done) {
          store_.Get(std::move(request), KitCallOptions(), std::move(done));
        });
  }

  CaseResult GetAll() {
    auto reply = Get({});
    if (!reply.status.ok()) {
      return Fail("Get with no keys (every item) should answer OK, got " + Describe(reply.status));
    }
    all_ = reply.value;
    return Pass(fmt::format("{} item(s)", all_.items_size()));
  }

  CaseResult GetKnown() {
    if (all_.items().empty()) {
      return Skip(
          "the store holds no items (give it some with --metadata, as the component "
          "documents)");
    }
    const auto& [key, item] = *all_.items().begin();
    auto reply = Get({key});
    if (!reply.status.ok()) {
      return Fail(
          fmt::format("Get of item {} should answer OK, got {}", key, Describe(reply.status)));
    }
    auto found = reply.value.items().find(key);
    if (found == reply.value.items().end()) {
      return Fail(fmt::format("Get of item {} (listed by Get of every item) left it out", key));
    }
    if (found->second.value() != item.value() || found->second.version() != item.version()) {
      return Fail(fmt::format(
          "Get of item {} answered value \"{}\" version \"{}\", but Get of "
          "every item answered value \"{}\" version \"{}\"",
          key, found->second.value(), found->second.version(), item.value(), item.version()));
    }
    if (reply.value.items_size() != 1) {
      return Fail(
          fmt::format("Get of item {} alone answered {} items", key, reply.value.items_size()));
    }
    return Pass();
  }

  CaseResult GetUnknown() {
    std::string key = suite_.UniqueName("missing");
    auto reply = Get({key});
    if (!reply.status.ok()) {
      return Fail(
          fmt::format("Get of an unknown key should answer OK and leave it out "
                      "(docs/protocol.md §4.8), got {}",
                      Describe(reply.status)));
    }
    if (reply.value.items().count(key) > 0) {
      return Fail(fmt::format("Get of the unknown key {} returned an item for it", key));
    }
    return Pass();
  }

  CaseResult SubscribeCase() {
    auto started = std::make_shared<std::promise<Reply<std::string>>>();
    auto future = started->get_future();
    configpb::SubscribeConfigurationRequest request;
    std::unique_ptr<Subscription> subscription = store_.Subscribe(
        std::move(request), [](const configpb::SubscribeConfigurationResponse&) {},
        [started](grpc::Status status, std::string id) {
          started->set_value({std::move(status), std::move(id)});
        });
    auto wait = kCallTimeout + kWaitGrace;
    Reply<std::string> reply = future.wait_for(wait) == std::future_status::ready
                                   ? future.get()
                                   : Reply<std::string>{NoAnswer(wait), {}};
    if (subscription) subscription->Close();
    if (!reply.status.ok()) {
      return Fail("Subscribe should start and send the subscription id first, got " +
                  Describe(reply.status));
    }
    if (reply.value.empty()) return Fail("Subscribe's first message carried an empty id");
    return Pass();
  }

  Suite& suite_;
  ConfigurationStore& store_;
  configpb::GetConfigurationResponse all_;
};

}  // namespace

void RunConfigurationSuite(const SuiteContext& context) {
  Suite suite(context, "configuration");
  auto store = suite.InitCase<ConfigurationStore>("init", "a");
  if (!store) return;
  suite.FeaturesCase();
  ConfigurationCases(suite, *store).RunAll();
  suite.PingCase(*store);
}

}  // namespace plughost::conformance
