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

// An AppChannel whose callbacks reach the HTTP app; it owns the bridge and its HTTP client.
std::shared_ptr<AppChannel> MakeHttpAppChannel(HttpAppOptions options);

}  // namespace plughost
