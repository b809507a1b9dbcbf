#include "host/http/dapr_http_api.h"

#include <boost/beast/http.hpp>

#include <initializer_list>
#include <vector>

#include "host/http/dapr_http_route.h"

namespace plughost {

namespace http = boost::beast::http;
using dapr_http::DaprClient;
using dapr_http::Route;

namespace {

using RouteHandler = void (*)(DaprClient&, Route&);

// One daprd route: its verbs, its version segment, and its path after the version, where "{}"
// takes one segment and a final "*" the rest (joined by "/": pub/sub topics may hold "/").
struct RouteSpec {
  std::vector<http::verb> verbs;
  std::vector<std::string_view> versions;
  std::vector<std::string_view> pattern;
  RouteHandler handler;
};

constexpr auto kGet = http::verb::get;
constexpr auto kPost = http::verb::post;
constexpr auto kPut = http::verb::put;
constexpr auto kDelete = http::verb::delete_;

const std::vector<RouteSpec>& Routes() {
  using namespace dapr_http;  // NOLINT: the handlers
  static const std::vector<RouteSpec> routes = {
      {{kGet}, {"v1.0"}, {"metadata"}, GetMetadata},
      {{kPut}, {"v1.0"}, {"metadata", "{}"}, PutMetadata},
      {{kPost}, {"v1.0"}, {"shutdown"}, Shutdown},
      // Static segments before parameters, as daprd's router prefers them.
      {{kPost, kPut}, {"v1.0"}, {"state", "{}", "bulk"}, GetBulkState},
      {{kPost, kPut}, {"v1.0"}, {"state", "{}", "transaction"}, StateTransaction},
      {{kPost, kPut}, {"v1.0-alpha1"}, {"state", "{}", "query"}, QueryState},
      {{kPost, kPut}, {"v1.0"}, {"state", "{}"}, SaveState},
      {{kGet}, {"v1.0"}, {"state", "{}", "{}"}, GetState},
      {{kDelete}, {"v1.0"}, {"state", "{}", "{}"}, DeleteState},
      {{kPost, kPut}, {"v1.0-alpha1", "v1.0"}, {"publish", "bulk", "{}", "*"}, BulkPublish},
      {{kPost, kPut}, {"v1.0"}, {"publish", "{}", "*"}, Publish},
      {{kPost, kPut}, {"v1.0"}, {"bindings", "{}"}, InvokeBinding},
      {{kGet}, {"v1.0"}, {"secrets", "{}", "bulk"}, GetBulkSecret},
      {{kGet}, {"v1.0"}, {"secrets", "{}", "{}"}, GetSecret},
      {{kPost}, {"v1.0-alpha1"}, {"lock", "{}"}, TryLock},
      {{kPost}, {"v1.0-alpha1"}, {"unlock", "{}"}, Unlock},
      {{kGet}, {"v1.0-alpha1", "v1.0"}, {"configuration", "{}"}, GetConfiguration},
      {{kGet},
       {"v1.0-alpha1", "v1.0"},
       {"configuration", "{}", "subscribe"},
       SubscribeConfiguration},
      {{kGet},
       {"v1.0-alpha1", "v1.0"},
       {"configuration", "{}", "{}", "unsubscribe"},
       UnsubscribeConfiguration},
  };
  return routes;
}

template <typename T>
bool Contains(const std::vector<T>& list, const T& value) {
  for (const auto& item : list) {
    if (item == value) return true;
  }
  return false;
}

// The path parameters when `segments` (version first) match `spec`.
bool Match(const RouteSpec& spec, const std::vector<std::string>& segments,
           std::vector<std::string>* params) {
  if (segments.empty() || !Contains(spec.versions, std::string_view(segments[0]))) return false;
  params->clear();
  size_t i = 1;
  for (size_t p = 0; p < spec.pattern.size(); ++p, ++i) {
    std::string_view part = spec.pattern[p];
    if (part == "*") {
      if (i >= segments.size()) return false;
      std::string rest = segments[i];
      for (size_t j = i + 1; j < segments.size(); ++j) rest += "/" + segments[j];
      params->push_back(std::move(rest));
      return true;
    }
    if (i >= segments.size()) return false;
    if (part == "{}") {
      params->push_back(segments[i]);
    } else if (part != segments[i]) {
      return false;
    }
  }
  return i == segments.size();
}

bool SameToken(std::string_view given, std::string_view expected) {
  // Constant time in the token's length, so timing does not reveal a matching prefix.
  if (given.size() != expected.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < given.size(); ++i) diff |= given[i] ^ expected[i];
  return diff == 0;
}

}  // namespace

DaprHttpApi::DaprHttpApi(std::shared_ptr<grpc::Channel> channel, DaprHttpApiOptions options)
    : options_(std::move(options)),
      client_(std::make_unique<DaprClient>(std::move(channel), options_.api_token, options_.has_app,
                                           options_.post_to_app)) {}

DaprHttpApi::~DaprHttpApi() = default;

void DaprHttpApi::Handle(HttpRequest&& request, HttpReply reply) {
  Route route;
  route.target =
      dapr_http::ParseTarget(std::string_view(request.target().data(), request.target().size()));
  route.request = std::move(request);
  route.reply = std::move(reply);
  const auto& segments = route.target.segments;
  auto verb = route.request.method();

  // Health answers without the token, as daprd's do.
  bool is_health = verb == kGet && segments.size() >= 2 && segments[0] == "v1.0" &&
                   segments[1] == "healthz" && segments.size() <= 3 &&
                   (segments.size() == 2 || segments[2] == "outbound");
  if (is_health) {
    // The server starts once every component is initialised and the gRPC API serves, so
    // answering at all means ready.
    if (segments.size() == 2) {
      std::string appid = route.QueryValue("appid");
      if (!appid.empty() && appid != options_.app_id) {
        return route.Error(500, "ERR_HEALTH_APPID_NOT_MATCH", "dapr app-id does not match");
      }
    }
    return route.Reply(dapr_http::NoContent());
  }

  if (!options_.api_token.empty()) {
    auto it = route.request.find("dapr-api-token");
    if (it == route.request.end() ||
        !SameToken(std::string_view(it->value().data(), it->value().size()), options_.api_token)) {
      HttpResponse denied(http::status::unauthorized, 11);
      denied.set(http::field::content_type, "text/plain; charset=utf-8");
      denied.body() = "invalid api token";
      return route.Reply(std::move(denied));
    }
  }

  if (route.target.bad_escape) {
    HttpResponse bad(http::status::bad_request, 11);
    bad.set(http::field::content_type, "text/plain; charset=utf-8");
    bad.body() = "invalid URL escape";
    return route.Reply(std::move(bad));
  }

  for (const auto& spec : Routes()) {
    if (!Contains(spec.verbs, verb)) continue;
    if (!Match(spec, segments, &route.params)) continue;
    return spec.handler(*client_, route);
  }
  // daprd hands anything else to service invocation, which finds no app id.
  route.Error(404, "ERR_DIRECT_INVOKE",
              "failed getting app id either from the URL path or the header dapr-app-id");
}

}  // namespace plughost
