#include "host/app_http/http_app_channel.h"

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <string_view>
#include <utility>

#include "common/bounded_json.h"
#include "host/app_http/bulk_event_body.h"
#include "host/app_http/cloud_event_body.h"
#include "host/app_http/http_client.h"
#include "host/common/log.h"

namespace plughost {
namespace {

namespace appcallbackpb = ::dapr::proto::runtime::v1;
using nlohmann::json;

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A route as an HTTP target: "orders" and "/orders" both become "/orders".
std::string Target(std::string_view route) {
  if (!route.empty() && route.front() == '/') return std::string(route);
  return "/" + std::string(route);
}

// The delivery's gRPC metadata as HTTP headers, leaving out what is transport, as daprd does.
void AddMetadataHeaders(const grpc::CallbackServerContext& context, HttpRequest& request) {
  for (const auto& [key_ref, value_ref] : context.client_metadata()) {
    std::string key = Lower(std::string_view(key_ref.data(), key_ref.size()));
    if (key.empty() || key.front() == ':' || key.rfind("grpc-", 0) == 0 ||
        (key.size() > 4 && key.compare(key.size() - 4, 4, "-bin") == 0) || key == "content-type" ||
        key == "content-length" || key == "te" || key == "user-agent" || key == "dapr-api-token" ||
        key == "connection" || key == "host") {
      continue;
    }
    request.headers.emplace_back(std::move(key), std::string(value_ref.data(), value_ref.size()));
  }
}

// What is left of the caller's deadline; zero (none) for a call without one.
std::chrono::milliseconds Remaining(const grpc::CallbackServerContext& context) {
  auto deadline = context.deadline();
  if (deadline >= std::chrono::system_clock::time_point::max() - std::chrono::hours(24 * 365)) {
    return std::chrono::milliseconds(0);
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::system_clock::now());
  return std::max(left, std::chrono::milliseconds(1));
}

// daprd's reading of an HTTP app's answer to an event (docs/http-app.md).
appcallbackpb::TopicEventResponse::TopicEventResponseStatus TopicOutcome(
    const HttpResponse& response) {
  using Status = appcallbackpb::TopicEventResponse;
  if (response.status == 404) return Status::DROP;
  if (response.status < 200 || response.status > 299) return Status::RETRY;
  json body = ParseBoundedJson(response.body);
  if (!body.is_object()) return Status::SUCCESS;  // empty or not JSON
  auto status = body.find("status");
  if (status == body.end() || !status->is_string()) return Status::SUCCESS;
  const std::string& value = status->get_ref<const std::string&>();
  if (value.empty() || value == "SUCCESS") return Status::SUCCESS;
  if (value == "DROP") return Status::DROP;
  return Status::RETRY;  // "RETRY" and any other value, case-sensitively, as daprd
}

std::string StringField(const json& item, const char* name) {
  auto it = item.find(name);
  return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// daprd's reading of an HTTP app's answer to a bulk delivery: 404 drops every entry, another
// non-2xx status or a 2xx body that is not JSON retries every entry (an error), and otherwise
// each entry is what `statuses` says of it. Only "SUCCESS" and "DROP" settle an entry; "RETRY",
// an empty or unknown status, and an entry the app left out are retried.
grpc::Status ReadBulkAnswer(const appcallbackpb::TopicEventBulkRequest& request,
                            const HttpResponse& answer,
                            appcallbackpb::TopicEventBulkResponse* response) {
  using Status = appcallbackpb::TopicEventResponse;
  if (answer.status == 404) {
    for (const auto& entry : request.entries()) {
      auto* status = response->add_statuses();
      status->set_entry_id(entry.entry_id());
      status->set_status(Status::DROP);
    }
    return grpc::Status::OK;
  }
  if (answer.status < 200 || answer.status > 299) {
    return grpc::Status(grpc::StatusCode::UNKNOWN,
                        "the app answered HTTP " + std::to_string(answer.status));
  }
  json body = ParseBoundedJson(answer.body);
  if (body.is_discarded()) {
    return grpc::Status(grpc::StatusCode::UNKNOWN,
                        "the app's answer to a bulk delivery is not JSON");
  }
  if (!body.is_object()) return grpc::Status::OK;  // no statuses: every entry is retried
  auto statuses = body.find("statuses");
  if (statuses == body.end() || !statuses->is_array()) return grpc::Status::OK;
  for (const auto& item : *statuses) {
    if (!item.is_object()) continue;
    std::string value = StringField(item, "status");
    auto* status = response->add_statuses();
    status->set_entry_id(StringField(item, "entryId"));
    status->set_status(value == "SUCCESS" ? Status::SUCCESS
                       : value == "DROP"  ? Status::DROP
                                          : Status::RETRY);
  }
  return grpc::Status::OK;
}

// One item of GET /dapr/subscribe; false (with a log line) for an item daprd would discard.
bool ParseSubscription(const json& item, appcallbackpb::TopicSubscription* out) {
  if (!item.is_object()) return false;
  out->set_pubsub_name(StringField(item, "pubsubname"));
  out->set_topic(StringField(item, "topic"));
  out->set_dead_letter_topic(StringField(item, "deadLetterTopic"));
  if (auto metadata = item.find("metadata"); metadata != item.end() && metadata->is_object()) {
    for (const auto& [key, value] : metadata->items()) {
      (*out->mutable_metadata())[key] = value.is_string() ? value.get<std::string>() : value.dump();
    }
  }
  auto* routes = out->mutable_routes();
  if (auto v2 = item.find("routes"); v2 != item.end() && v2->is_object()) {
    if (auto rules = v2->find("rules"); rules != v2->end() && rules->is_array()) {
      for (const auto& rule : *rules) {
        if (!rule.is_object()) continue;
        auto* added = routes->add_rules();
        added->set_match(StringField(rule, "match"));
        added->set_path(StringField(rule, "path"));
      }
    }
    routes->set_default_(StringField(*v2, "default"));
  }
  if (routes->default_().empty()) routes->set_default_(StringField(item, "route"));
  if (auto bulk = item.find("bulkSubscribe"); bulk != item.end() && bulk->is_object()) {
    auto* config = out->mutable_bulk_subscribe();
    if (auto enabled = bulk->find("enabled"); enabled != bulk->end() && enabled->is_boolean()) {
      config->set_enabled(enabled->get<bool>());
    }
    if (auto count = bulk->find("maxMessagesCount");
        count != bulk->end() && count->is_number_integer()) {
      config->set_max_messages_count(count->get<int32_t>());
    }
    if (auto wait = bulk->find("maxAwaitDurationMs");
        wait != bulk->end() && wait->is_number_integer()) {
      config->set_max_await_duration_ms(wait->get<int32_t>());
    }
  }
  if (out->pubsub_name().empty() || out->topic().empty() ||
      (routes->rules_size() == 0 && routes->default_().empty())) {
    PH_LOG_WARN("app",
                "GET /dapr/subscribe: skipping an item without pubsubname, topic or "
                "route: {}",
                item.dump(-1, ' ', false, json::error_handler_t::replace));
    return false;
  }
  return true;
}

// What the app's GET /dapr/config says, in the log: its actor settings mean nothing to plughost,
// which serves no actors, so actor types get one warning.
void LogAppConfig(const json& config) {
  if (!config.is_object()) {
    PH_LOG_WARN("app", "GET /dapr/config: the answer is not a JSON object; ignored");
    return;
  }
  std::string fields;
  for (const auto& [key, value] : config.items()) fields += (fields.empty() ? "" : ", ") + key;
  PH_LOG_INFO("app", "application configuration loaded (GET /dapr/config: {})",
              fields.empty() ? std::string("empty") : fields);
  std::string actor_types;
  if (auto entities = config.find("entities"); entities != config.end() && entities->is_array()) {
    for (const auto& entity : *entities) {
      if (entity.is_string()) {
        actor_types += (actor_types.empty() ? "" : ", ") + entity.get<std::string>();
      }
    }
  }
  if (!actor_types.empty()) {
    PH_LOG_WARN("app",
                "the app hosts actor types {} (GET /dapr/config); plughost serves no actors, so "
                "they get no calls",
                actor_types);
  }
}

class HttpAppBridge final : public appcallbackpb::AppCallback::CallbackService {
 public:
  explicit HttpAppBridge(HttpAppOptions options)
      : options_(std::move(options)), client_(ClientOptions(options_.address)) {}

  grpc::ServerUnaryReactor* ListTopicSubscriptions(
      grpc::CallbackServerContext* context, const google::protobuf::Empty* /*request*/,
      appcallbackpb::ListTopicSubscriptionsResponse* response) override {
    auto* reactor = context->DefaultReactor();
    HttpRequest request = NewRequest("GET", "/dapr/subscribe");
    request.headers.emplace_back("content-type", "application/json");
    request.headers.emplace_back("dapr-app-id", options_.app_id);
    client_.Send(std::move(request), Remaining(*context),
                 [reactor, response](const grpc::Status& status, const HttpResponse& answer) {
                   if (!status.ok()) return reactor->Finish(status);
                   if (answer.status == 404) return reactor->Finish(grpc::Status::OK);
                   if (answer.status != 200) {
                     PH_LOG_WARN("app", "GET /dapr/subscribe answered {}: no subscriptions",
                                 answer.status);
                     return reactor->Finish(grpc::Status::OK);
                   }
                   json items = ParseBoundedJson(answer.body);
                   if (!answer.body.empty() && !items.is_array()) {
                     PH_LOG_WARN("app",
                                 "GET /dapr/subscribe: the answer is not a JSON array: "
                                 "no subscriptions");
                     return reactor->Finish(grpc::Status::OK);
                   }
                   if (items.is_array()) {
                     for (const auto& item : items) {
                       appcallbackpb::TopicSubscription parsed;
                       if (ParseSubscription(item, &parsed)) {
                         *response->add_subscriptions() = std::move(parsed);
                       }
                     }
                   }
                   reactor->Finish(grpc::Status::OK);
                 });
    return reactor;
  }

  grpc::ServerUnaryReactor* OnTopicEvent(grpc::CallbackServerContext* context,
                                         const appcallbackpb::TopicEventRequest* event,
                                         appcallbackpb::TopicEventResponse* response) override {
    auto* reactor = context->DefaultReactor();
    HttpRequest request = NewRequest("POST", Target(event->path()));
    request.headers.emplace_back("content-type", "application/cloudevents+json");
    request.headers.emplace_back("pubsubname", event->pubsub_name());
    AddMetadataHeaders(*context, request);
    request.body = CloudEventBody(*event);
    std::string where = event->path();
    client_.Send(
        std::move(request), Remaining(*context),
        [reactor, response, where](const grpc::Status& status, const HttpResponse& answer) {
          if (!status.ok()) return reactor->Finish(status);
          response->set_status(TopicOutcome(answer));
          if (answer.status == 404) {
            PH_LOG_ERROR("app", "POST {} answered 404: the event is dropped", Target(where));
          }
          reactor->Finish(grpc::Status::OK);
        });
    return reactor;
  }

  grpc::ServerUnaryReactor* OnBulkTopicEvent(
      grpc::CallbackServerContext* context, const appcallbackpb::TopicEventBulkRequest* request,
      appcallbackpb::TopicEventBulkResponse* response) override {
    auto* reactor = context->DefaultReactor();
    HttpRequest http = NewRequest("POST", Target(request->path()));
    http.headers.emplace_back("content-type", "application/json");
    AddMetadataHeaders(*context, http);
    http.body = BulkEventBody(*request);
    client_.Send(
        std::move(http), Remaining(*context),
        [reactor, request, response](const grpc::Status& status, const HttpResponse& answer) {
          if (!status.ok()) return reactor->Finish(status);
          if (answer.status == 404) {
            PH_LOG_ERROR("app", "POST {} answered 404: the bulk events are dropped",
                         Target(request->path()));
          }
          reactor->Finish(ReadBulkAnswer(*request, answer, response));
        });
    return reactor;
  }

  grpc::ServerUnaryReactor* ListInputBindings(
      grpc::CallbackServerContext* context, const google::protobuf::Empty* /*request*/,
      appcallbackpb::ListInputBindingsResponse* response) override {
    auto* reactor = context->DefaultReactor();
    auto bindings =
        options_.input_bindings ? options_.input_bindings() : std::vector<HttpInputBindingRoute>{};
    if (bindings.empty()) {
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
    // One OPTIONS per binding, all at once; the answer goes when the last one is back.
    struct Probe {
      std::mutex mutex;
      size_t remaining;
      grpc::Status failure;
      std::vector<std::string> handled;
    };
    auto probe = std::make_shared<Probe>();
    probe->remaining = bindings.size();
    for (const auto& binding : bindings) {
      {
        std::lock_guard lock(routes_mutex_);
        routes_[binding.name] = binding.route;
      }
      client_.Send(
          NewRequest("OPTIONS", Target(binding.route)), options_.binding_options_timeout,
          [reactor, response, probe, name = binding.name](const grpc::Status& status,
                                                          const HttpResponse& answer) {
            bool last = false;
            {
              std::lock_guard lock(probe->mutex);
              if (!status.ok()) {
                probe->failure = status;
              } else if ((answer.status >= 200 && answer.status <= 299) || answer.status == 405) {
                probe->handled.push_back(name);
              }
              last = --probe->remaining == 0;
            }
            if (!last) return;
            // A transport error: the app is not up yet; the host asks again.
            if (!probe->failure.ok()) return reactor->Finish(probe->failure);
            std::sort(probe->handled.begin(), probe->handled.end());
            for (auto& handled : probe->handled) response->add_bindings(handled);
            reactor->Finish(grpc::Status::OK);
          });
    }
    return reactor;
  }

  grpc::ServerUnaryReactor* OnBindingEvent(grpc::CallbackServerContext* context,
                                           const appcallbackpb::BindingEventRequest* event,
                                           appcallbackpb::BindingEventResponse* response) override {
    auto* reactor = context->DefaultReactor();
    HttpRequest request = NewRequest("POST", Target(RouteOf(event->name())));
    request.headers.emplace_back("content-type", "application/json");
    for (const auto& [key, value] : event->metadata()) {
      std::string header = Lower(key);
      if (header == "content-type" || header == "content-length") continue;
      if (header.rfind("grpc-", 0) == 0) header.insert(0, "dapr-");
      request.headers.emplace_back(std::move(header), value);
    }
    request.body = event->data();
    client_.Send(std::move(request), Remaining(*context),
                 [reactor, response](const grpc::Status& status, HttpResponse answer) {
                   if (!status.ok()) return reactor->Finish(status);
                   if (answer.status < 200 || answer.status > 299) {
                     return reactor->Finish(
                         grpc::Status(grpc::StatusCode::UNKNOWN,
                                      "the app answered HTTP " + std::to_string(answer.status)));
                   }
                   response->set_data(std::move(answer.body));
                   reactor->Finish(grpc::Status::OK);
                 });
    return reactor;
  }

  void PostJson(const std::string& target, std::string body, HttpAppDone done) {
    HttpRequest request = NewRequest("POST", Target(target));
    request.headers.emplace_back("content-type", "application/json");
    request.body = std::move(body);
    client_.Send(std::move(request), std::chrono::milliseconds(0),
                 [done = std::move(done)](const grpc::Status& status, const HttpResponse& answer) {
                   done(status.ok() ? answer.status : 0);
                 });
  }

  // daprd's probe carries no app token.
  void Get(const std::string& path, std::chrono::milliseconds timeout, HttpAppDone done) {
    HttpRequest request;
    request.method = "GET";
    request.target = Target(path);
    client_.Send(std::move(request), timeout,
                 [done = std::move(done)](const grpc::Status& status, const HttpResponse& answer) {
                   done(status.ok() ? answer.status : 0);
                 });
  }

  void LoadAppConfig() {
    HttpRequest request = NewRequest("GET", "/dapr/config");
    request.headers.emplace_back("content-type", "application/json");
    request.headers.emplace_back("dapr-app-id", options_.app_id);
    client_.Send(std::move(request), std::chrono::seconds(5),
                 [](const grpc::Status& status, const HttpResponse& answer) {
                   if (!status.ok()) {
                     PH_LOG_WARN("app", "GET /dapr/config: no answer from the app ({})",
                                 status.error_message());
                     return;
                   }
                   // daprd: any status but 200 is an empty configuration.
                   if (answer.status != 200) {
                     PH_LOG_DEBUG("app", "GET /dapr/config answered {}: no app configuration",
                                  answer.status);
                     return;
                   }
                   LogAppConfig(ParseBoundedJson(answer.body));
                 });
  }

  // Ends the requests at the app, so the server's calls finish and it can shut down.
  void StopClient() { client_.Stop(); }

 private:
  static HttpClient::Options ClientOptions(const std::string& address) {
    HttpClient::Options options;
    auto colon = address.rfind(':');
    options.host = colon == std::string::npos ? address : address.substr(0, colon);
    options.port = colon == std::string::npos ? "80" : address.substr(colon + 1);
    if (options.host.empty()) options.host = "127.0.0.1";
    return options;
  }

  HttpRequest NewRequest(std::string method, std::string target) const {
    HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    if (!options_.app_api_token.empty()) {
      request.headers.emplace_back("dapr-api-token", options_.app_api_token);
    }
    return request;
  }

  std::string RouteOf(const std::string& name) {
    std::lock_guard lock(routes_mutex_);
    auto it = routes_.find(name);
    return it == routes_.end() ? name : it->second;
  }

  const HttpAppOptions options_;
  HttpClient client_;
  std::mutex routes_mutex_;
  std::map<std::string, std::string> routes_;  // input binding name -> its route
};

// The bridge and the in-process server that serves it, stopped in order.
struct BridgeServer {
  std::unique_ptr<HttpAppBridge> bridge;
  std::unique_ptr<grpc::Server> server;
  ~BridgeServer() {
    if (bridge) bridge->StopClient();
    if (server) server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server.reset();
    bridge.reset();
  }
};

}  // namespace

HttpAppChannel MakeHttpAppChannel(HttpAppOptions options) {
  std::string address = "http://" + options.address;
  auto owner = std::make_shared<BridgeServer>();
  owner->bridge = std::make_unique<HttpAppBridge>(std::move(options));
  grpc::ServerBuilder builder;
  builder.RegisterService(owner->bridge.get());
  builder.SetMaxReceiveMessageSize(-1);
  owner->server = builder.BuildAndStart();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  auto channel = owner->server->InProcessChannel(args);
  HttpAppChannel made;
  std::weak_ptr<BridgeServer> weak = owner;
  made.calls.post_json = [weak](const std::string& target, std::string body, HttpAppDone done) {
    auto bridge = weak.lock();
    if (!bridge) return done(0);
    bridge->bridge->PostJson(target, std::move(body), std::move(done));
  };
  made.calls.get = [weak](const std::string& path, std::chrono::milliseconds timeout,
                          HttpAppDone done) {
    auto bridge = weak.lock();
    if (!bridge) return done(0);
    bridge->bridge->Get(path, timeout, std::move(done));
  };
  made.calls.load_app_config = [weak] {
    if (auto bridge = weak.lock()) bridge->bridge->LoadAppConfig();
  };
  made.calls.stop = [weak] {
    if (auto bridge = weak.lock()) bridge->bridge->StopClient();
  };
  made.channel =
      std::make_shared<AppChannel>(std::move(address), std::move(channel), std::move(owner));
  return made;
}

}  // namespace plughost
