// The HTTP app channel (`--app-protocol http`): daprd's calls to an HTTP app, presented to the
// host as the gRPC AppCallback service it already delivers through. An in-process gRPC server
// serves AppCallback by calling the app over HTTP, so topic and binding delivery (ordering,
// retries, dead letters, shutdown) are written once and hold for both protocols.
//
//   ListTopicSubscriptions -> GET /dapr/subscribe (v1 `route` and v2 `routes`)
//   OnTopicEvent           -> POST /<route>, application/cloudevents+json; the answer is read
//                             as daprd reads it (2xx + status SUCCESS/RETRY/DROP, 404 = DROP)
//   OnBulkTopicEvent       -> POST /<route>, application/json, daprd's bulk envelope; the
//                             answer's `statuses` settle each entry (404 drops them all)
//   ListInputBindings      -> OPTIONS /<route> per input binding (2xx or 405 = handled)
//   OnBindingEvent         -> POST /<route>; a 2xx body is the response data
// Every request carries `dapr-api-token` (APP_API_TOKEN) when set, and the delivery's metadata
// as headers. docs/http-app.md lists the differences from daprd.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "host/app_callback/app_channel.h"

namespace plughost {

struct HttpInputBindingRoute {
  std::string name;   // the component's name, as OnBindingEvent names it
  std::string route;  // its `route` metadata, else the name
};

struct HttpAppOptions {
  std::string address;  // host:port of the app
  std::string app_id;
  std::string app_api_token;
  // The input bindings to probe with OPTIONS when the host asks which ones the app handles.
  std::function<std::vector<HttpInputBindingRoute>()> input_bindings;
  std::chrono::milliseconds binding_options_timeout{3000};
};

// The calls the host makes to an HTTP app beyond AppCallback's. Either may be called from any
// thread; `done` runs on the HTTP client's thread, exactly once, and must not block. Once the
// channel is gone, `done` gets 0 at once.
using HttpAppDone = std::function<void(int http_status)>;  // 0: the app was not reached
struct HttpAppCalls {
  // POST `target` with a JSON `body` and the app token (configuration updates); no deadline.
  std::function<void(std::string target, std::string body, HttpAppDone done)> post_json;
  // GET `path` without the app token, bounded by `timeout` (the app health probe, as daprd's).
  std::function<void(std::string path, std::chrono::milliseconds timeout, HttpAppDone done)> get;
  // GET /dapr/config, as daprd asks once the app is healthy; logs what the app says (plughost
  // serves no actors, so actor types the app declares are named in a warning). Returns at once.
  std::function<void()> load_app_config;
  // Ends every request at the app now (their `done` see 0) and refuses later ones, so nothing
  // waits on the app during shutdown. The AppCallback bridge fails its calls from then on.
  std::function<void()> stop;
};

struct HttpAppChannel {
  // Whose callbacks reach the HTTP app; it owns the bridge and its HTTP client.
  std::shared_ptr<AppChannel> channel;
  HttpAppCalls calls;  // they do not keep the channel alive
};

HttpAppChannel MakeHttpAppChannel(HttpAppOptions options);

}  // namespace plughost
