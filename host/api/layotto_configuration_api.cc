// GetConfiguration, SaveConfiguration and DeleteConfiguration of the Layotto API, over the same
// configuration stores as Dapr's (SubscribeConfiguration: layotto_configuration_stream.cc).
// Layotto's item is {key, content, group, label, tags, metadata}; ours is {value, version,
// metadata}. content = value; group and label are the item's metadata "group"/"label" when the
// store sets them, else the request's; the version travels in metadata "version".
// A non-empty group or label in the request reaches the store as request metadata of the same
// name. `subscribe_update` is ignored, as Layotto itself does. Save and Delete map back the same
// way: content = value, a non-empty item group/label becomes item metadata "group"/"label"
// (Delete's become request metadata); tags are not carried (plughost's items have none). An item
// saved with empty content is deleted, as Layotto's proto says. Stores without writes (every
// pluggable one: plughost's Configuration protocol has no write RPCs) answer UNIMPLEMENTED.
#include <fmt/format.h>

#include <map>

#include "host/api/api_errors.h"
#include "host/api/layotto_api.h"
#include "host/api/layotto_configuration.h"
#include "host/components/configuration_store.h"

namespace plughost {

namespace {

constexpr char kGroupKey[] = "group";
constexpr char kLabelKey[] = "label";
constexpr char kVersionKey[] = "version";

grpc::Status LayottoStoreNotFound(std::string_view name) {
  return grpc::Status(grpc::StatusCode::UNKNOWN,
                      fmt::format("configure store [{}] don't support now", name));
}

std::string MetadataOr(const google::protobuf::Map<std::string, std::string>& metadata,
                       const std::string& key, const std::string& fallback) {
  auto it = metadata.find(key);
  return it == metadata.end() ? fallback : it->second;
}

CallOptions OptionsFor(const ApiContext& context, grpc::CallbackServerContext* call) {
  CallOptions options;
  options.app_call = call;
  options.default_timeout = context.component_timeout;
  return options;
}

// Finishes a write with the store's status, its failure naming the store.
auto FinishWrite(grpc::ServerUnaryReactor* reactor, const InstancePtr& store) {
  return [reactor, store](grpc::Status status) {
    if (!status.ok()) {
      status = grpc::Status(status.error_code(), fmt::format("configuration store {}: {}",
                                                             store->name, status.error_message()));
    }
    reactor->Finish(status);
  };
}

}  // namespace

// Layotto looks the store up in a plain map and returns an untyped Go error, which gRPC sends as
// UNKNOWN, whether the name is unknown or no configuration store exists at all.
const LookupWording kLayottoConfigurationWording{&LayottoStoreNotFound, &LayottoStoreNotFound};

std::map<std::string, std::string> LayottoStoreMetadata(
    const google::protobuf::Map<std::string, std::string>& request_metadata,
    const std::string& group, const std::string& label) {
  std::map<std::string, std::string> metadata(request_metadata.begin(), request_metadata.end());
  if (!group.empty()) metadata[kGroupKey] = group;
  if (!label.empty()) metadata[kLabelKey] = label;
  return metadata;
}

void AppendLayottoItems(google::protobuf::Map<std::string, configpb::ConfigurationItem>& items,
                        const std::string& group, const std::string& label,
                        google::protobuf::RepeatedPtrField<layottopb::ConfigurationItem>* out) {
  // Map order: sorted by key, so answers are stable.
  std::map<std::string, configpb::ConfigurationItem*> sorted;
  for (auto& [key, item] : items) sorted[key] = &item;
  for (auto& [key, item] : sorted) {
    auto* added = out->Add();
    added->set_key(key);
    added->set_group(MetadataOr(item->metadata(), kGroupKey, group));
    added->set_label(MetadataOr(item->metadata(), kLabelKey, label));
    added->set_content(std::move(*item->mutable_value()));
    added->mutable_metadata()->swap(*item->mutable_metadata());
    if (!item->version().empty()) (*added->mutable_metadata())[kVersionKey] = item->version();
  }
}

grpc::ServerUnaryReactor* LayottoApi::SaveConfiguration(
    grpc::CallbackServerContext* call, const layottopb::SaveConfigurationRequest* request,
    google::protobuf::Empty* /*response*/) try {
  auto* reactor =
      MeteredUnaryReactor::Start(*context_, "Runtime/SaveConfiguration", request->store_name());
  auto store = ResolveOrFinish(*context_, call, reactor, ComponentKind::kConfiguration,
                               request->store_name(), &kLayottoConfigurationWording);
  if (!store) return reactor;
  std::map<std::string, configpb::ConfigurationItem> items;
  for (const auto& in : request->items()) {
    configpb::ConfigurationItem item;
    item.set_value(in.content());
    auto metadata = LayottoStoreMetadata(in.metadata(), in.group(), in.label());
    item.mutable_metadata()->insert(metadata.begin(), metadata.end());
    items[in.key()] = std::move(item);  // a repeated key: the last one wins
  }
  store->As<ConfigurationStore>()->Save(std::move(items),
                                        {request->metadata().begin(), request->metadata().end()},
                                        OptionsFor(*context_, call), FinishWrite(reactor, store));
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Runtime/SaveConfiguration");
}

grpc::ServerUnaryReactor* LayottoApi::DeleteConfiguration(
    grpc::CallbackServerContext* call, const layottopb::DeleteConfigurationRequest* request,
    google::protobuf::Empty* /*response*/) try {
  auto* reactor =
      MeteredUnaryReactor::Start(*context_, "Runtime/DeleteConfiguration", request->store_name());
  auto store = ResolveOrFinish(*context_, call, reactor, ComponentKind::kConfiguration,
                               request->store_name(), &kLayottoConfigurationWording);
  if (!store) return reactor;
  store->As<ConfigurationStore>()->Delete(
      {request->keys().begin(), request->keys().end()},
      LayottoStoreMetadata(request->metadata(), request->group(), request->label()),
      OptionsFor(*context_, call), FinishWrite(reactor, store));
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Runtime/DeleteConfiguration");
}

grpc::ServerUnaryReactor* LayottoApi::GetConfiguration(
    grpc::CallbackServerContext* call, const layottopb::GetConfigurationRequest* request,
    layottopb::GetConfigurationResponse* response) try {
  auto* reactor =
      MeteredUnaryReactor::Start(*context_, "Runtime/GetConfiguration", request->store_name());
  auto store = ResolveOrFinish(*context_, call, reactor, ComponentKind::kConfiguration,
                               request->store_name(), &kLayottoConfigurationWording);
  if (!store) return reactor;
  configpb::GetConfigurationRequest get;
  get.mutable_keys()->CopyFrom(request->keys());
  auto metadata = LayottoStoreMetadata(request->metadata(), request->group(), request->label());
  get.mutable_metadata()->insert(metadata.begin(), metadata.end());
  store->As<ConfigurationStore>()->Get(
      std::move(get), OptionsFor(*context_, call),
      [reactor, request, response, store](const grpc::Status& status,
                                          configpb::GetConfigurationResponse got) {
        if (!status.ok()) {
          reactor->Finish(grpc::Status(
              status.error_code(),
              fmt::format("configuration store {}: {}", store->name, status.error_message())));
          return;
        }
        AppendLayottoItems(*got.mutable_items(), request->group(), request->label(),
                           response->mutable_items());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Runtime/GetConfiguration");
}

}  // namespace plughost
