// Configuration subscribe and unsubscribe over HTTP (daprd's onSubscribeConfiguration /
// onUnsubscribeConfiguration). The subscription is the gRPC service's SubscribeConfiguration
// stream, opened in process; its first message carries the id the HTTP caller gets.
#include <nlohmann/json.hpp>

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

// One subscription's stream: answers the HTTP request once the store confirmed (or refused),
// and deletes itself when the stream ends.
class SubscriptionStream final
    : public grpc::ClientReadReactor<runtimepb::SubscribeConfigurationResponse> {
 public:
  SubscriptionStream(DaprClient& client, runtimepb::SubscribeConfigurationRequest request,
                     HttpReply reply)
      : request_(std::move(request)), reply_(std::move(reply)), has_app_(client.has_app()) {
    client.Prepare(&context_);
    client.stub().async()->SubscribeConfiguration(&context_, &request_, this);
    StartRead(&response_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok || replied_) return;  // OnDone follows
    replied_ = true;
    // daprd checks the store first, then the app channel it would deliver updates through.
    if (!has_app_) {
      reply_(ErrorResponse(500, "ERR_APP_CHANNEL_NIL",
                           "app channel is not initialized. cannot subscribe to configuration "
                           "updates"));
    } else {
      // Updates go to the app as POST /configuration/<store>/<key>, which needs an HTTP app
      // channel; the gRPC app channel has no OnInvoke to carry them (docs/http-api.md).
      reply_(ErrorResponse(500, "ERR_CONFIGURATION_SUBSCRIBE",
                           "plughost delivers configuration updates to gRPC apps through the "
                           "gRPC SubscribeConfiguration stream only"));
    }
    context_.TryCancel();
  }

  void OnDone(const grpc::Status& status) override {
    if (!replied_) reply_(ErrorResponse(StoreError(status, "ERR_CONFIGURATION_SUBSCRIBE"), status));
    delete this;
  }

 private:
  grpc::ClientContext context_;
  runtimepb::SubscribeConfigurationRequest request_;
  runtimepb::SubscribeConfigurationResponse response_;
  HttpReply reply_;
  bool has_app_;
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
        reply(JsonResponse(500, body.dump(-1, ' ', false, json::error_handler_t::replace)));
      });
}

}  // namespace plughost::dapr_http
