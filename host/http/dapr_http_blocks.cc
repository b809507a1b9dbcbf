// Output bindings, secrets, distributed lock and configuration get (daprd's pkg/api/http).
#include <boost/beast/http.hpp>
#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "common/bounded_json.h"
#include "host/http/dapr_http_route.h"
#include "host/http/json_fields.h"

namespace plughost::dapr_http {

namespace http = boost::beast::http;
using json = nlohmann::json;

namespace {

std::string StringOf(const json& value) {
  return value.is_string() ? value.get<std::string>() : Dump(value);
}

// daprd's secret and configuration store lookups, then the route's own failure.
HttpError StoreError(const grpc::Status& status, HttpError not_configured, HttpError not_found,
                     HttpError failed) {
  if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) return not_configured;
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) return not_found;
  return failed;
}

}  // namespace

void InvokeBinding(DaprClient& client, Route& route) {
  std::string error;
  json body = ParseBoundedJson(route.request.body(), &error);
  if (body.is_discarded() || !body.is_object()) {
    return route.Error(400, "ERR_MALFORMED_REQUEST",
                       "failed deserializing HTTP body: " +
                           (body.is_discarded() ? error : std::string("expected a JSON object")));
  }
  runtimepb::InvokeBindingRequest request;
  request.set_name(route.params[0]);
  // daprd re-serialises `data` as JSON: a JSON string reaches the binding with its quotes.
  if (const auto* data = Field(body, "data"); data && !data->is_null()) {
    request.set_data(Dump(*data));
  }
  if (const auto* metadata = Field(body, "metadata"); metadata && metadata->is_object()) {
    for (const auto& [k, v] : metadata->items()) (*request.mutable_metadata())[k] = StringOf(v);
  }
  request.set_operation(StringField(body, "operation"));
  client.Call<runtimepb::InvokeBindingResponse>(
      std::move(request), PLUGHOST_DAPR_RPC(InvokeBinding),
      [reply = route.reply](const grpc::Status& status,
                            runtimepb::InvokeBindingResponse& response) {
        HttpResponse out = status.ok()
                               ? (response.data().empty() ? NoContent() : JsonResponse(200, ""))
                               : ErrorResponse({500, "ERR_INVOKE_OUTPUT_BINDING"}, status);
        if (status.ok() && !response.data().empty())
          out.body() = std::move(*response.mutable_data());
        for (const auto& [k, v] : response.metadata()) out.set("metadata." + k, v);
        reply(std::move(out));
      });
}

void GetSecret(DaprClient& client, Route& route) {
  runtimepb::GetSecretRequest request;
  request.set_store_name(route.params[0]);
  request.set_key(route.params[1]);
  for (auto& [k, v] : route.QueryMetadata()) (*request.mutable_metadata())[k] = v;
  client.Call<runtimepb::GetSecretResponse>(
      std::move(request), PLUGHOST_DAPR_RPC(GetSecret),
      [reply = route.reply](const grpc::Status& status,
                            const runtimepb::GetSecretResponse& response) {
        if (!status.ok()) {
          return reply(ErrorResponse(
              StoreError(status, {500, "ERR_SECRET_STORES_NOT_CONFIGURED"},
                         {401, "ERR_SECRET_STORE_NOT_FOUND"}, {500, "ERR_SECRET_GET"}),
              status));
        }
        if (response.data_size() == 0) return reply(NoContent());
        json body =
            std::map<std::string, std::string>(response.data().begin(), response.data().end());
        reply(JsonResponse(200, Dump(body)));
      });
}

void GetBulkSecret(DaprClient& client, Route& route) {
  runtimepb::GetBulkSecretRequest request;
  request.set_store_name(route.params[0]);
  for (auto& [k, v] : route.QueryMetadata()) (*request.mutable_metadata())[k] = v;
  client.Call<runtimepb::GetBulkSecretResponse>(
      std::move(request), PLUGHOST_DAPR_RPC(GetBulkSecret),
      [reply = route.reply](const grpc::Status& status,
                            const runtimepb::GetBulkSecretResponse& response) {
        if (!status.ok()) {
          return reply(ErrorResponse(
              StoreError(status, {500, "ERR_SECRET_STORES_NOT_CONFIGURED"},
                         {401, "ERR_SECRET_STORE_NOT_FOUND"}, {500, "ERR_SECRET_GET"}),
              status));
        }
        json body = json::object();
        for (const auto& [name, secret] : response.data()) {
          body[name] =
              std::map<std::string, std::string>(secret.secrets().begin(), secret.secrets().end());
        }
        reply(JsonResponse(200, Dump(body)));
      });
}

namespace {

// The lock routes' body is protobuf JSON: camelCase or snake_case names, unknown fields
// ignored; the URL's store wins over the body's.
template <typename Request>
bool ParseLockBody(const Route& route, Request* request) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const std::string& body = route.request.body();
  auto status =
      google::protobuf::util::JsonStringToMessage(body.empty() ? "{}" : body, request, options);
  if (!status.ok()) {
    route.Error(400, "ERR_MALFORMED_REQUEST",
                "failed deserializing HTTP body: " + std::string(status.message()));
    return false;
  }
  request->set_store_name(route.params[0]);
  return true;
}

HttpError LockError(const grpc::Status& status, std::string_view failed) {
  if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
    return {500, "ERR_LOCK_STORE_NOT_CONFIGURED"};
  }
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    if (HasText(status, "not found")) return {400, "ERR_LOCK_STORE_NOT_FOUND"};
    if (HasText(status, "is empty") || HasText(status, "not positive")) {
      return {400, "ERR_MALFORMED_REQUEST"};
    }
  }
  return {500, failed};
}

}  // namespace

void TryLock(DaprClient& client, Route& route) {
  runtimepb::TryLockRequest request;
  if (!ParseLockBody(route, &request)) return;
  client.Call<runtimepb::TryLockResponse>(
      std::move(request), PLUGHOST_DAPR_RPC(TryLockAlpha1),
      [reply = route.reply](const grpc::Status& status,
                            const runtimepb::TryLockResponse& response) {
        if (!status.ok()) return reply(ErrorResponse(LockError(status, "ERR_TRY_LOCK"), status));
        reply(
            JsonResponse(200, response.success() ? R"({"success":true})" : R"({"success":false})"));
      });
}

void Unlock(DaprClient& client, Route& route) {
  runtimepb::UnlockRequest request;
  if (!ParseLockBody(route, &request)) return;
  client.Call<runtimepb::UnlockResponse>(
      std::move(request), PLUGHOST_DAPR_RPC(UnlockAlpha1),
      [reply = route.reply](const grpc::Status& status, const runtimepb::UnlockResponse& response) {
        if (!status.ok()) return reply(ErrorResponse(LockError(status, "ERR_UNLOCK"), status));
        // The status as a number, as daprd writes it.
        reply(JsonResponse(200, Dump(json{{"status", static_cast<int>(response.status())}})));
      });
}

void GetConfiguration(DaprClient& client, Route& route) {
  runtimepb::GetConfigurationRequest request;
  request.set_store_name(route.params[0]);
  if (auto keys = route.target.query.find("key"); keys != route.target.query.end()) {
    for (const auto& key : keys->second) request.add_keys(key);
  }
  for (auto& [k, v] : route.QueryMetadata()) (*request.mutable_metadata())[k] = v;
  client.Call<runtimepb::GetConfigurationResponse>(
      std::move(request), PLUGHOST_DAPR_RPC(GetConfiguration),
      [reply = route.reply](const grpc::Status& status,
                            const runtimepb::GetConfigurationResponse& response) {
        if (!status.ok()) {
          return reply(
              ErrorResponse(StoreError(status, {500, "ERR_CONFIGURATION_STORE_NOT_CONFIGURED"},
                                       {400, "ERR_CONFIGURATION_STORE_NOT_FOUND"},
                                       {500, "ERR_CONFIGURATION_GET"}),
                            status));
        }
        if (response.items_size() == 0) return reply(NoContent());
        json body = json::object();
        for (const auto& [key, item] : response.items()) {
          json out = {{"value", item.value()}, {"version", item.version()}};
          if (item.metadata_size() > 0) {
            out["metadata"] =
                std::map<std::string, std::string>(item.metadata().begin(), item.metadata().end());
          }
          body[key] = std::move(out);
        }
        reply(JsonResponse(200, Dump(body)));
      });
}

}  // namespace plughost::dapr_http
