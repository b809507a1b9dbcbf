// State routes: save, get, delete, bulk get, transaction, query (daprd's pkg/api/http/http.go).
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/bounded_json.h"
#include "host/http/dapr_http_route.h"
#include "host/http/json_fields.h"

namespace plughost::dapr_http {

namespace http = boost::beast::http;
namespace commonpb = ::dapr::proto::common::v1;
using json = nlohmann::json;

namespace {

// What every state route shares: the store lookup and the key check.
// `failed` is the route's own failure (ERR_STATE_GET, ...); `etag_codes` keeps 409 / 400 for
// a store's ETag mismatch / invalid ETag (save and delete only, as daprd).
HttpError StateError(const grpc::Status& status, HttpError failed, bool etag_codes) {
  switch (status.error_code()) {
    case grpc::StatusCode::FAILED_PRECONDITION:
      return {500, "ERR_STATE_STORE_NOT_CONFIGURED"};
    case grpc::StatusCode::INVALID_ARGUMENT:
      if (HasText(status, "state store") && HasText(status, "is not found")) {
        return {400, "ERR_STATE_STORE_NOT_FOUND"};
      }
      if (HasText(status, "can't contain") || HasText(status, "cannot be empty")) {
        return {400, "ERR_MALFORMED_REQUEST"};
      }
      if (etag_codes) return {400, failed.code};
      return failed;
    case grpc::StatusCode::ABORTED:
      if (etag_codes) return {409, failed.code};
      return failed;
    default:
      return failed;
  }
}

commonpb::StateOptions::StateConsistency Consistency(std::string_view text) {
  if (text == "eventual") return commonpb::StateOptions::CONSISTENCY_EVENTUAL;
  if (text == "strong") return commonpb::StateOptions::CONSISTENCY_STRONG;
  return commonpb::StateOptions::CONSISTENCY_UNSPECIFIED;
}

commonpb::StateOptions::StateConcurrency Concurrency(std::string_view text) {
  if (text == "first-write") return commonpb::StateOptions::CONCURRENCY_FIRST_WRITE;
  if (text == "last-write") return commonpb::StateOptions::CONCURRENCY_LAST_WRITE;
  return commonpb::StateOptions::CONCURRENCY_UNSPECIFIED;
}

std::string StringOf(const json& value) {
  return value.is_string() ? value.get<std::string>() : Dump(value);
}

// A JSON object of strings into a protobuf map (other values as their JSON text).
template <typename Map>
void PutMetadata(const json& object, Map* out) {
  if (!object.is_object()) return;
  for (const auto& [k, v] : object.items()) (*out)[k] = StringOf(v);
}

// One state item of daprd's HTTP body: {key, value, etag, metadata, options, contentType}.
// False when `item` is not an object.
bool ToStateItem(const json& item, commonpb::StateItem* out) {
  if (!item.is_object()) return false;
  out->set_key(StringField(item, "key"));
  // daprd hands the component the decoded JSON value, which it stores JSON-encoded: a string
  // value keeps its quotes.
  if (const auto* value = Field(item, "value"); value && !value->is_null()) {
    out->set_value(Dump(*value));
  }
  if (const auto* etag = Field(item, "etag"); etag && etag->is_string()) {
    out->mutable_etag()->set_value(etag->get<std::string>());
  }
  if (const auto* metadata = Field(item, "metadata"))
    PutMetadata(*metadata, out->mutable_metadata());
  if (const auto* content_type = Field(item, "contentType");
      content_type && content_type->is_string()) {
    (*out->mutable_metadata())["contentType"] = content_type->get<std::string>();
  }
  if (const auto* options = Field(item, "options"); options && options->is_object()) {
    out->mutable_options()->set_concurrency(Concurrency(StringField(*options, "concurrency")));
    out->mutable_options()->set_consistency(Consistency(StringField(*options, "consistency")));
  }
  return true;
}

json ParseBody(const Route& route, std::string* error) {
  return ParseBoundedJson(route.request.body(), error);
}

void Malformed(const Route& route, std::string_view why) {
  route.Error(400, "ERR_MALFORMED_REQUEST", fmt::format("failed deserializing HTTP body: {}", why));
}

}  // namespace

void SaveState(DaprClient& client, Route& route) {
  std::string error;
  json body = ParseBody(route, &error);
  if (body.is_discarded()) return Malformed(route, error);
  if (!body.is_array()) return Malformed(route, "expected a JSON array of state items");
  runtimepb::SaveStateRequest request;
  request.set_store_name(route.params[0]);
  auto query_metadata = route.QueryMetadata();
  for (const auto& entry : body) {
    auto* item = request.add_states();
    if (!ToStateItem(entry, item)) return Malformed(route, "each state item must be an object");
    if (item->key().empty()) {
      return route.Error(400, "ERR_MALFORMED_REQUEST", "state key cannot be empty");
    }
    for (const auto& [k, v] : query_metadata) (*item->mutable_metadata())[k] = v;
  }
  client.Call<google::protobuf::Empty>(
      std::move(request), PLUGHOST_DAPR_RPC(SaveState),
      [reply = route.reply](const grpc::Status& status, const google::protobuf::Empty&) {
        if (!status.ok()) {
          return reply(ErrorResponse(StateError(status, {500, "ERR_STATE_SAVE"}, true), status));
        }
        reply(NoContent());
      });
}

void GetState(DaprClient& client, Route& route) {
  runtimepb::GetStateRequest request;
  request.set_store_name(route.params[0]);
  request.set_key(route.params[1]);
  request.set_consistency(Consistency(route.QueryValue("consistency")));
  for (auto& [k, v] : route.QueryMetadata()) (*request.mutable_metadata())[k] = v;
  client.Call<runtimepb::GetStateResponse>(
      std::move(request), PLUGHOST_DAPR_RPC(GetState),
      [reply = route.reply](const grpc::Status& status, runtimepb::GetStateResponse& response) {
        if (!status.ok()) {
          return reply(ErrorResponse(StateError(status, {500, "ERR_STATE_GET"}, false), status));
        }
        // A missing key is 204, as daprd (the gRPC answer is an empty item).
        if (response.data().empty() && response.etag().empty()) return reply(NoContent());
        HttpResponse out(http::status::ok, 11);
        out.set(http::field::content_type, "application/json");
        if (!response.etag().empty()) out.set(http::field::etag, response.etag());
        for (const auto& [k, v] : response.metadata()) out.set("metadata." + k, v);
        out.body() = std::move(*response.mutable_data());
        reply(std::move(out));
      });
}

void DeleteState(DaprClient& client, Route& route) {
  runtimepb::DeleteStateRequest request;
  request.set_store_name(route.params[0]);
  request.set_key(route.params[1]);
  // The header's presence counts, even empty (daprd).
  if (auto it = route.request.find(http::field::if_match); it != route.request.end()) {
    request.mutable_etag()->set_value(std::string(it->value()));
  }
  request.mutable_options()->set_concurrency(Concurrency(route.QueryValue("concurrency")));
  request.mutable_options()->set_consistency(Consistency(route.QueryValue("consistency")));
  for (auto& [k, v] : route.QueryMetadata()) (*request.mutable_metadata())[k] = v;
  client.Call<google::protobuf::Empty>(
      std::move(request), PLUGHOST_DAPR_RPC(DeleteState),
      [reply = route.reply](const grpc::Status& status, const google::protobuf::Empty&) {
        if (!status.ok()) {
          return reply(ErrorResponse(StateError(status, {500, "ERR_STATE_DELETE"}, true), status));
        }
        reply(NoContent());
      });
}

void GetBulkState(DaprClient& client, Route& route) {
  std::string error;
  json body = ParseBody(route, &error);
  if (body.is_discarded()) return Malformed(route, error);
  if (!body.is_object()) return Malformed(route, "expected {\"keys\": [...]}");
  runtimepb::GetBulkStateRequest request;
  request.set_store_name(route.params[0]);
  if (const auto* keys = Field(body, "keys")) {
    if (!keys->is_array()) return Malformed(route, "keys must be an array of strings");
    for (const auto& key : *keys) {
      if (!key.is_string()) return Malformed(route, "keys must be an array of strings");
      request.add_keys(key.get<std::string>());
    }
  }
  if (const auto* parallelism = Field(body, "parallelism");
      parallelism && parallelism->is_number_integer()) {
    request.set_parallelism(parallelism->get<int32_t>());
  }
  if (const auto* metadata = Field(body, "metadata"))
    PutMetadata(*metadata, request.mutable_metadata());
  for (auto& [k, v] : route.QueryMetadata()) (*request.mutable_metadata())[k] = v;
  client.Call<runtimepb::GetBulkStateResponse>(
      std::move(request), PLUGHOST_DAPR_RPC(GetBulkState),
      [reply = route.reply](const grpc::Status& status,
                            const runtimepb::GetBulkStateResponse& response) {
        if (!status.ok()) {
          return reply(
              ErrorResponse(StateError(status, {500, "ERR_STATE_BULK_GET"}, false), status));
        }
        json items = json::array();
        for (const auto& item : response.items()) {
          json out = {{"key", item.key()}};
          if (!item.data().empty()) {
            // Stored bytes go in as raw JSON (daprd); bytes that are not JSON as a string.
            json data = ParseBoundedJson(item.data());
            out["data"] = data.is_discarded() ? json(item.data()) : std::move(data);
          }
          if (!item.etag().empty()) out["etag"] = item.etag();
          if (item.metadata_size() > 0) {
            out["metadata"] =
                std::map<std::string, std::string>(item.metadata().begin(), item.metadata().end());
          }
          if (!item.error().empty()) out["error"] = item.error();
          items.push_back(std::move(out));
        }
        reply(JsonResponse(200, Dump(items)));
      });
}

void StateTransaction(DaprClient& client, Route& route) {
  std::string error;
  json body = ParseBody(route, &error);
  if (body.is_discarded()) return Malformed(route, error);
  if (!body.is_object()) return Malformed(route, "expected {\"operations\": [...]}");
  runtimepb::ExecuteStateTransactionRequest request;
  request.set_storename(route.params[0]);
  auto query_metadata = route.QueryMetadata();
  if (const auto* operations = Field(body, "operations")) {
    if (!operations->is_array()) return Malformed(route, "operations must be an array");
    for (const auto& op : *operations) {
      if (!op.is_object()) return Malformed(route, "each operation must be an object");
      auto* out = request.add_operations();
      out->set_operationtype(StringField(op, "operation"));
      if (const auto* item = Field(op, "request")) {
        if (!ToStateItem(*item, out->mutable_request())) {
          return Malformed(route, "each operation's request must be an object");
        }
      }
      // Query-string metadata goes to every operation (daprd).
      for (const auto& [k, v] : query_metadata)
        (*out->mutable_request()->mutable_metadata())[k] = v;
    }
  }
  if (const auto* metadata = Field(body, "metadata"))
    PutMetadata(*metadata, request.mutable_metadata());
  client.Call<google::protobuf::Empty>(
      std::move(request), PLUGHOST_DAPR_RPC(ExecuteStateTransaction),
      [reply = route.reply](const grpc::Status& status, const google::protobuf::Empty&) {
        if (status.ok()) return reply(NoContent());
        HttpError mapped{500, "ERR_STATE_TRANSACTION"};
        if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
          mapped = HasText(status, "not supported")
                       ? HttpError{400, "ERR_NOT_SUPPORTED_STATE_OPERATION"}
                       : HttpError{500, "ERR_STATE_STORE_NOT_SUPPORTED"};
        } else if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
                   HasText(status, "more than what the state store supports")) {
          mapped = {400, "ERR_STATE_STORE_TOO_MANY_TRANSACTIONS"};
        } else {
          mapped = StateError(status, mapped, false);
        }
        reply(ErrorResponse(mapped, status));
      });
}

void QueryState(DaprClient& client, Route& route) {
  runtimepb::QueryStateRequest request;
  request.set_store_name(route.params[0]);
  request.set_query(route.request.body());
  for (auto& [k, v] : route.QueryMetadata()) (*request.mutable_metadata())[k] = v;
  client.Call<runtimepb::QueryStateResponse>(
      std::move(request), PLUGHOST_DAPR_RPC(QueryStateAlpha1),
      [reply = route.reply](const grpc::Status& status,
                            const runtimepb::QueryStateResponse& response) {
        if (!status.ok()) {
          HttpError mapped{500, "ERR_STATE_QUERY"};
          if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
            mapped = {500, "ERR_STATE_STORE_NOT_SUPPORTED"};
          } else if (status.error_code() != grpc::StatusCode::INVALID_ARGUMENT ||
                     HasText(status, "is not found")) {
            mapped = StateError(status, mapped, false);
          }
          return reply(ErrorResponse(mapped, status));
        }
        if (response.results_size() == 0) return reply(NoContent());
        json results = json::array();
        for (const auto& item : response.results()) {
          json out = {{"key", item.key()}};
          json data = ParseBoundedJson(item.data());
          out["data"] = data.is_discarded() ? json(item.data()) : std::move(data);
          if (!item.etag().empty()) out["etag"] = item.etag();
          if (!item.error().empty()) out["error"] = item.error();
          results.push_back(std::move(out));
        }
        json body = {{"results", std::move(results)}};
        if (!response.token().empty()) body["token"] = response.token();
        if (response.metadata_size() > 0) {
          body["metadata"] = std::map<std::string, std::string>(response.metadata().begin(),
                                                                response.metadata().end());
        }
        reply(JsonResponse(200, Dump(body)));
      });
}

}  // namespace plughost::dapr_http
