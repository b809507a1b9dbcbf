// GetConfiguration of the Layotto API, over the same configuration stores as Dapr's.
// Layotto's item is {key, content, group, label, tags, metadata}; ours is {value, version,
// metadata}. content = value; group and label are the item's metadata "group"/"label" when the
// store sets them, else the request's; the version travels in metadata "version".
// A non-empty group or label in the request reaches the store as request metadata of the same
// name. `subscribe_update` is ignored, as Layotto itself does.
#include <fmt/format.h>

#include "host/api/api_errors.h"
#include "host/api/layotto_api.h"
#include "host/components/configuration_store.h"

namespace plughost {
namespace {

constexpr char kGroupKey[] = "group";
constexpr char kLabelKey[] = "label";
constexpr char kVersionKey[] = "version";

// Layotto looks the store up in a plain map and returns an untyped Go error, which gRPC sends as
// UNKNOWN: "configure store [<name>] don't support now", whether the name is unknown or no
// configuration store exists at all. Apps get exactly that here, for every configuration call.
grpc::Status LayottoStoreNotFound(std::string_view name) {
  return grpc::Status(grpc::StatusCode::UNKNOWN,
                      fmt::format("configure store [{}] don't support now", name));
}

constexpr LookupWording kLayottoStoreWording{&LayottoStoreNotFound, &LayottoStoreNotFound};

std::string MetadataOr(const google::protobuf::Map<std::string, std::string>& metadata,
                       const std::string& key, const std::string& fallback) {
  auto it = metadata.find(key);
  return it == metadata.end() ? fallback : it->second;
}

}  // namespace

grpc::ServerUnaryReactor* LayottoApi::GetConfiguration(
    grpc::CallbackServerContext* call, const layottopb::GetConfigurationRequest* request,
    layottopb::GetConfigurationResponse* response) try {
  auto* reactor = MeteredUnaryReactor::Start(*context_, "Runtime/GetConfiguration",
                                             request->store_name());
  auto store = ResolveOrFinish(*context_, call, reactor, ComponentKind::kConfiguration,
                               request->store_name(), &kLayottoStoreWording);
  if (!store) return reactor;
  configpb::GetConfigurationRequest get;
  get.mutable_keys()->CopyFrom(request->keys());
  get.mutable_metadata()->insert(request->metadata().begin(), request->metadata().end());
  if (!request->group().empty()) (*get.mutable_metadata())[kGroupKey] = request->group();
  if (!request->label().empty()) (*get.mutable_metadata())[kLabelKey] = request->label();
  CallOptions options;
  options.app_call = call;
  options.default_timeout = context_->component_timeout;
  store->As<ConfigurationStore>()->Get(
      std::move(get), options,
      [reactor, request, response, store](grpc::Status status,
                                          configpb::GetConfigurationResponse got) {
        if (!status.ok()) {
          reactor->Finish(grpc::Status(
              status.error_code(),
              fmt::format("configuration store {}: {}", store->name, status.error_message())));
          return;
        }
        // Map order: sorted by key, so answers are stable.
        std::map<std::string, configpb::ConfigurationItem*> sorted;
        for (auto& [key, item] : *got.mutable_items()) sorted[key] = &item;
        for (auto& [key, item] : sorted) {
          auto* out = response->add_items();
          out->set_key(key);
          out->set_group(MetadataOr(item->metadata(), kGroupKey, request->group()));
          out->set_label(MetadataOr(item->metadata(), kLabelKey, request->label()));
          out->set_content(std::move(*item->mutable_value()));
          out->mutable_metadata()->swap(*item->mutable_metadata());
          if (!item->version().empty()) (*out->mutable_metadata())[kVersionKey] = item->version();
        }
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Runtime/GetConfiguration");
}

}  // namespace plughost
