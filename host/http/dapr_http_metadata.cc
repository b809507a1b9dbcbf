// GET /v1.0/metadata, PUT /v1.0/metadata/{key}, POST /v1.0/shutdown.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "host/http/dapr_http_route.h"
#include "host/http/json_fields.h"

namespace plughost::dapr_http {

using json = nlohmann::json;

namespace {

// [{"name": ...}] for the messages that only carry a name (Resiliency documents); daprd embeds
// them as protobuf's Go structs, so an empty name is left out.
template <typename Named>
json NamesJson(const google::protobuf::RepeatedPtrField<Named>& items) {
  json list = json::array();
  for (const auto& item : items) {
    json entry = json::object();
    if (!item.name().empty()) entry["name"] = item.name();
    list.push_back(std::move(entry));
  }
  return list;
}

// daprd's appConnectionProperties: every empty field left out, the whole object too when
// nothing is set; health only when health checks are on.
json AppConnectionJson(const runtimepb::AppConnectionProperties& app) {
  json out = json::object();
  if (app.port() != 0) out["port"] = app.port();
  if (!app.protocol().empty()) out["protocol"] = app.protocol();
  if (!app.channel_address().empty()) out["channelAddress"] = app.channel_address();
  if (app.max_concurrency() != 0) out["maxConcurrency"] = app.max_concurrency();
  if (app.has_health()) {
    const auto& probe = app.health();
    json health = json::object();
    if (!probe.health_check_path().empty()) health["healthCheckPath"] = probe.health_check_path();
    if (!probe.health_probe_interval().empty()) {
      health["healthProbeInterval"] = probe.health_probe_interval();
    }
    if (!probe.health_probe_timeout().empty()) {
      health["healthProbeTimeout"] = probe.health_probe_timeout();
    }
    if (probe.health_threshold() != 0) health["healthThreshold"] = probe.health_threshold();
    out["health"] = std::move(health);
  }
  return out;
}

// daprd's HTTP shape of GetMetadataResponse (pkg/api/http/metadata.go): empty fields left out.
json MetadataJson(const runtimepb::GetMetadataResponse& out) {
  json body = json::object();
  if (!out.id().empty()) body["id"] = out.id();
  if (!out.runtime_version().empty()) body["runtimeVersion"] = out.runtime_version();
  if (out.enabled_features_size() > 0) {
    body["enabledFeatures"] =
        std::vector<std::string>(out.enabled_features().begin(), out.enabled_features().end());
  }
  if (out.registered_components_size() > 0) {
    json components = json::array();
    for (const auto& c : out.registered_components()) {
      json item = json::object();
      if (!c.name().empty()) item["name"] = c.name();
      if (!c.type().empty()) item["type"] = c.type();
      if (!c.version().empty()) item["version"] = c.version();
      if (c.capabilities_size() > 0) {
        item["capabilities"] =
            std::vector<std::string>(c.capabilities().begin(), c.capabilities().end());
      }
      components.push_back(std::move(item));
    }
    body["components"] = std::move(components);
  }
  if (out.extended_metadata_size() > 0) {
    body["extended"] = std::map<std::string, std::string>(out.extended_metadata().begin(),
                                                          out.extended_metadata().end());
  }
  if (out.subscriptions_size() > 0) {
    json subscriptions = json::array();
    for (const auto& s : out.subscriptions()) {
      json item = {{"pubsubname", s.pubsub_name()}, {"topic", s.topic()}};
      if (s.metadata_size() > 0) {
        item["metadata"] =
            std::map<std::string, std::string>(s.metadata().begin(), s.metadata().end());
      }
      if (s.rules().rules_size() > 0) {
        json rules = json::array();
        for (const auto& r : s.rules().rules()) {
          json rule = json::object();
          if (!r.match().empty()) rule["match"] = r.match();
          if (!r.path().empty()) rule["path"] = r.path();
          rules.push_back(std::move(rule));
        }
        item["rules"] = std::move(rules);
      }
      item["deadLetterTopic"] = s.dead_letter_topic();
      item["type"] = runtimepb::PubsubSubscriptionType_Name(s.type());
      subscriptions.push_back(std::move(item));
    }
    body["subscriptions"] = std::move(subscriptions);
  }
  // Never set by the host, so never written: httpEndpoints, the deprecated "actors",
  // actorRuntime.activeActors, scheduler, mcpServers, workflowAccessPolicies.
  json app = AppConnectionJson(out.app_connection_properties());
  if (!app.empty()) body["appConnectionProperties"] = std::move(app);
  // daprd always writes the actor runtime, its status by name and hostReady even when false.
  const auto& actors = out.actor_runtime();
  json actor_runtime = {
      {"runtimeStatus", runtimepb::ActorRuntime::ActorRuntimeStatus_Name(actors.runtime_status())},
      {"hostReady", actors.host_ready()}};
  if (!actors.placement().empty()) actor_runtime["placement"] = actors.placement();
  body["actorRuntime"] = std::move(actor_runtime);
  // daprd leaves workflows out when no worker is connected.
  if (out.workflows().connected_workers() != 0) {
    body["workflows"] = {{"connectedWorkers", out.workflows().connected_workers()}};
  }
  if (out.resiliencies_size() > 0) body["resiliencies"] = NamesJson(out.resiliencies());
  return body;
}

}  // namespace

void GetMetadata(DaprClient& client, Route& route) {
  client.Call<runtimepb::GetMetadataResponse>(
      runtimepb::GetMetadataRequest(), PLUGHOST_DAPR_RPC(GetMetadata),
      [reply = route.reply](const grpc::Status& status,
                            const runtimepb::GetMetadataResponse& response) {
        if (!status.ok()) return reply(ErrorResponse({500, "ERROR"}, status));
        reply(JsonResponse(200, Dump(MetadataJson(response))));
      });
}

void PutMetadata(DaprClient& client, Route& route) {
  runtimepb::SetMetadataRequest request;
  request.set_key(route.params[0]);
  request.set_value(route.request.body());
  client.Call<google::protobuf::Empty>(
      std::move(request), PLUGHOST_DAPR_RPC(SetMetadata),
      [reply = route.reply](const grpc::Status& status, const google::protobuf::Empty&) {
        if (!status.ok()) return reply(ErrorResponse({500, "ERROR"}, status));
        reply(NoContent());
      });
}

void Shutdown(DaprClient& client, Route& route) {
  auto force = route.request.find("dapr-force-shutdown");
  if (force != route.request.end() &&
      EqualsIgnoringCase(std::string_view(force->value().data(), force->value().size()), "true")) {
    // As daprd: answer, then exit 1 about 100 ms later with no graceful drain (which would
    // otherwise finish first and exit 0). A thread of its own, so no server thread waits.
    route.Reply(NoContent());
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::_Exit(1);
    }).detach();
    return;
  }
  client.Call<google::protobuf::Empty>(
      runtimepb::ShutdownRequest(), PLUGHOST_DAPR_RPC(Shutdown),
      [reply = route.reply](const grpc::Status& status, const google::protobuf::Empty&) {
        if (!status.ok()) return reply(ErrorResponse({500, "ERROR"}, status));
        reply(NoContent());
      });
}

}  // namespace plughost::dapr_http
