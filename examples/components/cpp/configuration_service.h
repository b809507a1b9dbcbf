// plughost.components.v1.Configuration with one set of items per instance.
//
// Init metadata "config.<key>" = <value> gives item <key> with version "1" (other entries are
// ignored). Test hook: a Get whose request metadata holds "__set__.<key>" = <value> first sets
// item <key> to <value> (version one higher, or "1" for a new key) and pushes the changed
// items to the instance's subscribers, then answers as usual. Through a host that forwards
// request metadata (plughost's GetConfiguration does), a test can change items on demand.
// Test hook: a Get whose request metadata holds "__subscribers__" (any value) also answers an
// item "__subscribers__" whose value is how many subscriptions the instance has open, so a test
// can see a host close one.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "plughost/components/v1/configuration.grpc.pb.h"
#include "sdk/cpp/instance_map.h"

namespace plughost::sample {

namespace configpb = ::plughost::components::v1;

// The messages waiting for one subscription stream, written one at a time. Shared with the
// instance, which may push after the stream is gone (then nothing is sent).
class ConfigurationOutbox {
 public:
  using Reactor = grpc::ServerWriteReactor<configpb::SubscribeConfigurationResponse>;
  explicit ConfigurationOutbox(Reactor* reactor) : reactor_(reactor) {}

  void Send(configpb::SubscribeConfigurationResponse message);
  // Ends the stream after the messages already queued.
  void Finish(grpc::Status status);
  void OnWriteDone(bool ok);
  // The reactor is done; later calls do nothing.
  void Detach();

 private:
  void WriteNextLocked();

  std::mutex mutex_;
  Reactor* reactor_;
  std::deque<configpb::SubscribeConfigurationResponse> queue_;
  configpb::SubscribeConfigurationResponse current_;
  bool writing_ = false;
  std::optional<grpc::Status> finish_;
  bool finished_ = false;
};

class ConfigurationInstance {
 public:
  static constexpr char kItemPrefix[] = "config.";
  static constexpr char kSetHookPrefix[] = "__set__.";
  static constexpr char kSubscribersHookKey[] = "__subscribers__";

  // Replaces the items with those in `metadata`.
  grpc::Status Init(const std::map<std::string, std::string>& metadata);
  // Applies the request's "__set__.<key>" hook entries, then returns the asked items (all of
  // them for empty keys; unknown keys are left out).
  grpc::Status Get(const configpb::GetConfigurationRequest& request,
                   configpb::GetConfigurationResponse* response);

  void AddSubscriber(const std::string& id, std::set<std::string> keys,
                     std::shared_ptr<ConfigurationOutbox> outbox);
  void RemoveSubscriber(const std::string& id);
  // Ends subscription `id`'s stream with OK. Unknown ids are fine (already gone).
  void Unsubscribe(const std::string& id);

 private:
  struct Subscriber {
    std::set<std::string> keys;  // empty: every key
    std::shared_ptr<ConfigurationOutbox> outbox;
  };

  std::mutex mutex_;
  std::map<std::string, configpb::ConfigurationItem> items_;
  std::map<std::string, Subscriber> subscribers_;
};

class ConfigurationService final : public configpb::Configuration::CallbackService {
 public:
  ConfigurationService()
      : instances_(std::make_shared<sdk::InstanceMap<ConfigurationInstance>>()) {}

  grpc::ServerUnaryReactor* Init(grpc::CallbackServerContext* context,
                                 const configpb::ConfigurationInitRequest* request,
                                 configpb::ConfigurationInitResponse* response) override;
  grpc::ServerUnaryReactor* Features(
      grpc::CallbackServerContext* context,
      const dapr::proto::components::v1::FeaturesRequest* request,
      dapr::proto::components::v1::FeaturesResponse* response) override;
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const dapr::proto::components::v1::PingRequest* request,
                                 dapr::proto::components::v1::PingResponse* response) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context,
                                const configpb::GetConfigurationRequest* request,
                                configpb::GetConfigurationResponse* response) override;
  grpc::ServerWriteReactor<configpb::SubscribeConfigurationResponse>* Subscribe(
      grpc::CallbackServerContext* context,
      const configpb::SubscribeConfigurationRequest* request) override;
  grpc::ServerUnaryReactor* Unsubscribe(
      grpc::CallbackServerContext* context,
      const configpb::UnsubscribeConfigurationRequest* request,
      configpb::UnsubscribeConfigurationResponse* response) override;

 private:
  std::shared_ptr<sdk::InstanceMap<ConfigurationInstance>> instances_;
};

}  // namespace plughost::sample
