// Publish and bulk publish (daprd's pkg/api/http/http.go onPublish / onBulkPublish).
#include <boost/beast/http.hpp>

#include <array>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/bounded_json.h"
#include "host/http/dapr_http_route.h"
#include "host/http/json_fields.h"

namespace plughost::dapr_http {

namespace http = boost::beast::http;
using json = nlohmann::json;

namespace {

// The gRPC service's pub/sub errors (host/api/pubsub_errors.h) as daprd's HTTP answers.
HttpError PublishError(const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
    return {403, "ERR_PUBSUB_FORBIDDEN"};
  }
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    if (HasText(status, "pubsub name is empty")) return {404, "ERR_PUBSUB_EMPTY"};
    if (HasText(status, "topic is empty")) return {404, "ERR_TOPIC_NAME_EMPTY"};
    if (HasText(status, "is not found")) return {404, "ERR_PUBSUB_NOT_FOUND"};
    if (HasText(status, "failed deserializing metadata")) {
      return {400, "ERR_PUBSUB_REQUEST_METADATA"};
    }
    if (HasText(status, "cannot create cloudevent")) return {500, "ERR_PUBSUB_CLOUD_EVENTS_SER"};
    if (HasText(status, "error marshaling events")) return {400, "ERR_PUBSUB_EVENTS_SER"};
  }
  return {500, "ERR_PUBSUB_PUBLISH_MESSAGE"};
}

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// The media type without parameters, lower case.
std::string MediaType(std::string_view content_type) {
  auto semicolon = content_type.find(';');
  std::string type = Lower(content_type.substr(0, semicolon));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type;
}

bool Base64Decode(std::string_view text, std::string* out) {
  static const auto kTable = [] {
    std::array<int, 256> table{};
    table.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = i;
    return table;
  }();
  out->clear();
  int bits = 0, value = 0;
  for (char c : text) {
    if (c == '=') break;
    int digit = kTable[static_cast<unsigned char>(c)];
    if (digit < 0) return false;
    value = (value << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((value >> bits) & 0xff));
    }
  }
  return true;
}

// One bulk entry's `event` as the bytes its contentType says (daprd's bulk publish rules).
bool EventBytes(const json& event, const std::string& content_type, std::string* out) {
  std::string type = MediaType(content_type);
  if (type == "application/octet-stream") {
    return event.is_string() && Base64Decode(event.get<std::string>(), out);
  }
  if (type.rfind("text/", 0) == 0 || type == "application/xml") {
    if (!event.is_string()) return false;
    *out = event.get<std::string>();
    return true;
  }
  if (type == "application/json" || type == "application/cloudevents+json") {
    *out = Dump(event);
    return true;
  }
  return false;
}

}  // namespace

void Publish(DaprClient& client, Route& route) {
  runtimepb::PublishEventRequest request;
  request.set_pubsub_name(route.params[0]);
  request.set_topic(route.params[1]);
  request.set_data(std::move(route.request.body()));
  if (auto it = route.request.find(http::field::content_type); it != route.request.end()) {
    request.set_data_content_type(std::string(it->value()));
  }
  for (auto& [k, v] : route.QueryMetadata()) (*request.mutable_metadata())[k] = v;
  client.Call<google::protobuf::Empty>(
      std::move(request), PLUGHOST_DAPR_RPC(PublishEvent),
      [reply = route.reply](const grpc::Status& status, const google::protobuf::Empty&) {
        if (!status.ok()) return reply(ErrorResponse(PublishError(status), status));
        reply(NoContent());
      });
}

void BulkPublish(DaprClient& client, Route& route) {
  std::string error;
  json body = ParseBoundedJson(route.request.body(), &error);
  auto events_error = [&](const std::string& why) {
    route.Error(400, "ERR_PUBSUB_EVENTS_SER",
                fmt::format("error when unmarshaling the request for topic {} pubsub {}: {}",
                            route.params[1], route.params[0], why));
  };
  if (body.is_discarded()) return events_error(error);
  if (!body.is_array()) return events_error("expected a JSON array of entries");
  runtimepb::BulkPublishRequest request;
  request.set_pubsub_name(route.params[0]);
  request.set_topic(route.params[1]);
  for (auto& [k, v] : route.QueryMetadata()) (*request.mutable_metadata())[k] = v;
  for (const auto& entry : body) {
    if (!entry.is_object()) return events_error("each entry must be an object");
    auto* out = request.add_entries();
    out->set_entry_id(StringField(entry, "entryId"));
    out->set_content_type(StringField(entry, "contentType"));
    std::string bytes;
    const auto* event = Field(entry, "event");
    if (!event || !EventBytes(*event, out->content_type(), &bytes)) {
      return events_error(fmt::format("entry {}: the event does not match its contentType '{}'",
                                      out->entry_id(), out->content_type()));
    }
    out->set_event(std::move(bytes));
    if (const auto* metadata = Field(entry, "metadata"); metadata && metadata->is_object()) {
      for (const auto& [k, v] : metadata->items()) {
        (*out->mutable_metadata())[k] = v.is_string() ? v.get<std::string>() : Dump(v);
      }
    }
  }
  std::vector<std::string> entry_ids;
  for (const auto& entry : request.entries()) entry_ids.push_back(entry.entry_id());
  client.Call<runtimepb::BulkPublishResponse>(
      std::move(request), PLUGHOST_DAPR_RPC(BulkPublishEventAlpha1),
      [reply = route.reply, entry_ids = std::move(entry_ids)](
          const grpc::Status& status, const runtimepb::BulkPublishResponse& response) {
        if (!status.ok()) {
          HttpError mapped = PublishError(status);
          if (mapped.status == 403 || mapped.status == 404 ||
              mapped.code != "ERR_PUBSUB_PUBLISH_MESSAGE") {
            return reply(ErrorResponse(mapped, status));
          }
        }
        if (status.ok() && response.failedentries_size() == 0) return reply(NoContent());
        // daprd's partial-failure body: every entry that failed, and the same JSON as a header.
        json failed = json::array();
        if (status.ok()) {
          for (const auto& entry : response.failedentries()) {
            failed.push_back({{"entryId", entry.entry_id()}, {"error", entry.error()}});
          }
        } else {
          // The whole call failed: every entry did (daprd lists them all).
          for (const auto& id : entry_ids) {
            failed.push_back({{"entryId", id}, {"error", status.error_message()}});
          }
        }
        json body = {{"failedEntries", failed}, {"errorCode", "ERR_PUBSUB_PUBLISH_MESSAGE"}};
        HttpResponse out = JsonResponse(500, Dump(body));
        out.set("metadata.responseData", Dump(body));
        out.set("metadata.error",
                status.ok() ? "some entries failed to publish" : status.error_message());
        reply(std::move(out));
      });
}

}  // namespace plughost::dapr_http
