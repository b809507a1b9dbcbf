// Configuration subscribe and unsubscribe over HTTP (daprd's onSubscribeConfiguration /
// onUnsubscribeConfiguration). The subscription is the gRPC service's SubscribeConfiguration
// stream, opened in process; its first message carries the id the HTTP caller gets, and each
// later one an update, which goes to the HTTP app as daprd sends it.
#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <memory>

#include "host/common/log.h"

#include "host/http/dapr_http_route.h"

namespace plughost::dapr_http {

using json = nlohmann::json;

namespace {

HttpError StoreError(const grpc::Status& status, std::string_view failed) {
  if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
    return {500, "ERR_CONFIGURATION_STORE_NOT_CONFIGURED"};
  }
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
      status.error_message().find("not found") != std::string::npos) {
    return {400, "ERR_CONFIGURATION_STORE_NOT_FOUND"};
  }
  return {500, failed};
}

// daprd's body for an update: the whole event, {"id", "items": {"<key>": {"value", "version",
// "metadata"}}}, item fields left out when empty (the Go struct's omitempty).
std::string UpdateBody(const runtimepb::SubscribeConfigurationResponse& update) {
  json items = json::object();
  for (const auto& [key, item] : update.items()) {
    json entry = json::object();
    if (!item.value().empty()) entry["value"] = item.value();
    if (!item.version().empty()) entry["version"] = item.version();
    if (!item.metadata().empty()) {
      entry["metadata"] =
          std::map<std::string, std::string>(item.metadata().begin(), item.metadata().end());
    }
    items[key] = std::move(entry);
  }
  json body = {{"id", update.id()}, {"items", std::move(items)}};
  return Dump(body);
}

// One subscription's stream: answers the HTTP request once the store confirmed (or refused),
// then hands each update to the app, one POST /configuration/<store>/<key> per key, the next
// update read only once the app answered them all (so updates of a key arrive in order). It
// deletes itself when the stream ends (unsubscribe, or the host shutting down).
class SubscriptionStream final
    : public grpc::ClientReadReactor<runtimepb::SubscribeConfigurationResponse> {
 public:
  SubscriptionStream(DaprClient& client, runtimepb::SubscribeConfigurationRequest request,
                     HttpReply reply)
      : request_(std::move(request)),
        reply_(std::move(reply)),
        has_app_(client.has_app()),
        post_to_app_(client.post_to_app()) {
    client.Prepare(&context_);
    client.stub().async()->SubscribeConfiguration(&context_, &request_, this);
    StartRead(&response_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    if (replied_) return Deliver();
    replied_ = true;
    // daprd checks the store first, then the app channel it would deliver updates through.
    if (!has_app_) {
      reply_(ErrorResponse(500, "ERR_APP_CHANNEL_NIL",
                           "app channel is not initialized. cannot subscribe to configuration "
                           "updates"));
      context_.TryCancel();
      return;
    }
    if (!post_to_app_) {
      // Updates go to the app as POST /configuration/<store>/<key>; a gRPC app would get them
      // through AppCallback.OnInvoke, which plughost does not call (docs/http-api.md).
      reply_(ErrorResponse(500, "ERR_CONFIGURATION_SUBSCRIBE",
                           "plughost delivers configuration updates to gRPC apps through the "
                           "gRPC SubscribeConfiguration stream only"));
      context_.TryCancel();
      return;
    }
    json body = {{"id", response_.id()}};
    reply_(JsonResponse(200, body.dump()));
    if (!response_.items().empty()) return Deliver();
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    if (!replied_) reply_(ErrorResponse(StoreError(status, "ERR_CONFIGURATION_SUBSCRIBE"), status));
    delete this;
  }

 private:
  // Sends the update in response_ to the app, key by key at once; reads the next when all the
  // answers are in. The hold keeps the reactor alive until then, even if the stream ends.
  void Deliver() {
    if (response_.items().empty()) return StartRead(&response_);
    AddHold();
    std::string body = UpdateBody(response_);
    const std::string& store = request_.store_name();
    auto remaining = std::make_shared<std::atomic<size_t>>(response_.items().size());
    for (const auto& [key, item] : response_.items()) {
      std::string target = "/configuration/";
      target.append(store).append("/").append(key);
      post_to_app_(target, body, [this, remaining, target](int status) {
        // daprd counts only 200 as delivered; it logs the rest (plughost does not retry).
        if (status != 200) {
          PH_LOG_ERROR("http", "error sending configuration item to the app: POST {} answered {}",
                       target,
                       status == 0 ? std::string("nothing (not reached)") : std::to_string(status));
        }
        if (remaining->fetch_sub(1) != 1) return;
        StartRead(&response_);
        RemoveHold();
      });
    }
  }

  grpc::ClientContext context_;
  runtimepb::SubscribeConfigurationRequest request_;
  runtimepb::SubscribeConfigurationResponse response_;
  HttpReply reply_;
  bool has_app_;
  AppPostJson post_to_app_;
  bool replied_ = false;  // only the reactor's callbacks touch it, one at a time
};

}  // namespace

void SubscribeConfiguration(DaprClient& client, Route& route) {
  runtimepb::SubscribeConfigurationRequest request;
  request.set_store_name(route.params[0]);
  if (auto keys = route.target.query.find("key"); keys != route.target.query.end()) {
    for (const auto& key : keys->second) request.add_keys(key);
  }
  for (auto& [k, v] : route.QueryMetadata()) (*request.mutable_metadata())[k] = v;
  new SubscriptionStream(client, std::move(request), route.reply);
}

void UnsubscribeConfiguration(DaprClient& client, Route& route) {
  runtimepb::UnsubscribeConfigurationRequest request;
  request.set_store_name(route.params[0]);
  request.set_id(route.params[1]);
  client.Call<runtimepb::UnsubscribeConfigurationResponse>(
      std::move(request), PLUGHOST_DAPR_RPC(UnsubscribeConfiguration),
      [reply = route.reply](const grpc::Status& status,
                            const runtimepb::UnsubscribeConfigurationResponse& response) {
        if (!status.ok()) {
          return reply(ErrorResponse(StoreError(status, "ERR_CONFIGURATION_UNSUBSCRIBE"), status));
        }
        if (response.ok()) return reply(JsonResponse(200, R"({"ok":true})"));
        // daprd's failure body here is {ok, message}, not the usual error body.
        json body = {{"ok", false}, {"message", response.message()}};
        reply(JsonResponse(500, Dump(body)));
      });
}

}  // namespace plughost::dapr_http
