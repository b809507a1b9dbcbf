// Dapr's HTTP API (daprd's /v1.0 routes) in front of the Dapr gRPC service: every route is a
// translation to the gRPC request, a call to the same service over the server's in-process
// channel, and a translation of the answer into daprd's status codes, headers and error bodies.
// See docs/http-api.md for the routes and their codes.
#pragma once

#include <grpcpp/channel.h>

#include <functional>
#include <memory>
#include <string>

#include "host/http/http_server.h"

namespace plughost {

namespace dapr_http {
class DaprClient;
}

// Sends the app `POST target` with a JSON body through the HTTP app channel; `done` gets the
// HTTP status (0: the app was not reached), once, on another thread.
using AppPostJson =
    std::function<void(std::string target, std::string body, std::function<void(int)> done)>;

struct DaprHttpApiOptions {
  // DAPR_API_TOKEN: when set, every route but /v1.0/healthz* needs it as `dapr-api-token`.
  std::string api_token;
  std::string app_id;    // for /v1.0/healthz?appid=
  bool has_app = false;  // --app-address given (configuration subscribe needs an app)
  // Set for an HTTP app: configuration updates go to it as POST /configuration/<store>/<key>.
  AppPostJson post_to_app;
};

class DaprHttpApi {
 public:
  // `channel` reaches the Dapr gRPC service (grpc::Server::InProcessChannel).
  DaprHttpApi(std::shared_ptr<grpc::Channel> channel, DaprHttpApiOptions options);
  ~DaprHttpApi();

  // An HttpHandler: routes the request, never blocks, replies exactly once.
  void Handle(HttpRequest&& request, HttpReply reply);

 private:
  DaprHttpApiOptions options_;
  std::unique_ptr<dapr_http::DaprClient> client_;
};

}  // namespace plughost
