// What the Dapr HTTP handlers share: one matched request (path parameters, query, reply), the
// in-process client of the Dapr gRPC service they all call, and daprd's response shapes.
// The HTTP front end owns no behaviour of its own: each handler translates the request into the
// gRPC request message, calls the same service the gRPC API serves, and maps the answer back.
#pragma once

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dapr/proto/runtime/v1/dapr.grpc.pb.h"
#include "host/http/dapr_http_api.h"
#include "host/http/http_server.h"

namespace plughost::dapr_http {

namespace runtimepb = ::dapr::proto::runtime::v1;

// daprd's answer to a failed call: the HTTP status and its errorCode.
struct HttpError {
  int status;
  std::string_view code;
};

// Whether the gRPC status's message holds `text`: the service's errors that share a code are
// told apart by their words, to give each daprd's own errorCode.
bool HasText(const grpc::Status& status, std::string_view text);
// `value` as JSON text. Bytes from the request that are not UTF-8 are replaced, never thrown on.
std::string Dump(const nlohmann::json& value);

// {"errorCode":"...","message":"..."} with `status`.
HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message);
// `error` with the gRPC status's message, and daprd's "details" array when the service sent
// daprd's rich details (an ErrorInfo of domain dapr.io): {"@type": ..., fields in snake_case}.
HttpResponse ErrorResponse(HttpError error, const grpc::Status& status);
// 204 with no body.
HttpResponse NoContent();
// `status` with a JSON body.
HttpResponse JsonResponse(int status, std::string body);

// The target split as daprd's router sees it: segments cleaned and query-unescaped.
struct Target {
  std::vector<std::string> segments;
  std::map<std::string, std::vector<std::string>> query;
  bool bad_escape = false;
};
Target ParseTarget(std::string_view target);

struct Route {
  HttpRequest request;
  std::vector<std::string> params;  // the path's {parameters}, in order
  Target target;
  HttpReply reply;

  // Every `metadata.<k>` query key, prefix stripped, first value only (as daprd).
  std::map<std::string, std::string> QueryMetadata() const;
  // The first value of a query key, or "".
  std::string QueryValue(const std::string& key) const;

  void Reply(HttpResponse response) const { reply(std::move(response)); }
  void Error(int status, std::string_view code, std::string_view message) const {
    reply(ErrorResponse(status, code, message));
  }
  void Error(HttpError error, const grpc::Status& status) const {
    reply(ErrorResponse(error, status));
  }
};

// The Dapr gRPC service, called in process without blocking.
class DaprClient {
 public:
  DaprClient(std::shared_ptr<grpc::Channel> channel, std::string api_token, bool has_app,
             AppPostJson post_to_app = {})
      : stub_(runtimepb::Dapr::NewStub(channel)),
        api_token_(std::move(api_token)),
        has_app_(has_app),
        post_to_app_(std::move(post_to_app)) {}

  runtimepb::Dapr::Stub& stub() { return *stub_; }
  // Adds what every call carries (the API token) to `context`.
  void Prepare(grpc::ClientContext* context) const {
    // The HTTP front end checked the token already; the gRPC service checks it again.
    if (!api_token_.empty()) context->AddMetadata("dapr-api-token", api_token_);
  }
  // Whether the host has an app channel (--app-address).
  bool has_app() const { return has_app_; }
  // How configuration updates reach an HTTP app; empty for a gRPC app or none.
  const AppPostJson& post_to_app() const { return post_to_app_; }

  // Starts `start(async_stub, context, request, response, callback)` and calls
  // `done(status, response)` from a gRPC thread when it completes.
  template <typename Response, typename Request, typename Start, typename Done>
  void Call(Request request, Start start, Done done) {
    struct Pending {
      grpc::ClientContext context;
      Request request;
      Response response;
    };
    auto pending = std::make_shared<Pending>();
    pending->request = std::move(request);
    Prepare(&pending->context);
    auto* raw = pending.get();
    start(stub_->async(), &raw->context, &raw->request, &raw->response,
          [pending, done](grpc::Status status) { done(status, pending->response); });
  }

 private:
  std::unique_ptr<runtimepb::Dapr::Stub> stub_;
  std::string api_token_;
  bool has_app_;
  AppPostJson post_to_app_;
};

// The `start` argument of DaprClient::Call for the unary method `name`.
#define PLUGHOST_DAPR_RPC(name)                                              \
  [](auto* async, auto* context, auto* request, auto* response, auto done) { \
    async->name(context, request, response, std::move(done));                \
  }

// Route handlers, one file per building block.
void GetMetadata(DaprClient& client, Route& route);
void PutMetadata(DaprClient& client, Route& route);
void Shutdown(DaprClient& client, Route& route);

void SaveState(DaprClient& client, Route& route);
void GetState(DaprClient& client, Route& route);
void DeleteState(DaprClient& client, Route& route);
void GetBulkState(DaprClient& client, Route& route);
void StateTransaction(DaprClient& client, Route& route);
void QueryState(DaprClient& client, Route& route);

void Publish(DaprClient& client, Route& route);
void BulkPublish(DaprClient& client, Route& route);

void InvokeBinding(DaprClient& client, Route& route);

void GetSecret(DaprClient& client, Route& route);
void GetBulkSecret(DaprClient& client, Route& route);

void TryLock(DaprClient& client, Route& route);
void Unlock(DaprClient& client, Route& route);

void GetConfiguration(DaprClient& client, Route& route);
void SubscribeConfiguration(DaprClient& client, Route& route);
void UnsubscribeConfiguration(DaprClient& client, Route& route);

}  // namespace plughost::dapr_http
