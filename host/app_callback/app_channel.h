// The host's long-lived connection to the app's callback server
// (dapr.proto.runtime.v1.AppCallback), used to deliver pub/sub messages and binding events.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include "dapr/proto/runtime/v1/appcallback.grpc.pb.h"

namespace plughost {

class AppChannel {
 public:
  // `address` is host:port or unix:/path; `app_api_token`, when set, is sent to the app as
  // "dapr-api-token" on every callback, as Dapr does with APP_API_TOKEN.
  AppChannel(std::string address, std::string app_api_token);
  // A channel the caller built (the HTTP app bridge's in-process channel); `owner` keeps what
  // serves it alive as long as this AppChannel.
  AppChannel(std::string address, std::shared_ptr<grpc::Channel> channel,
             std::shared_ptr<void> owner);

  const std::string& address() const { return address_; }
  dapr::proto::runtime::v1::AppCallback::Stub& stub() { return *stub_; }
  dapr::proto::runtime::v1::AppCallbackAlpha::Stub& alpha_stub() { return *alpha_stub_; }
  dapr::proto::runtime::v1::AppCallbackHealthCheck::Stub& health_stub() { return *health_stub_; }
  // A context for one callback, bounded by `timeout`.
  std::unique_ptr<grpc::ClientContext> NewContext(std::chrono::milliseconds timeout) const;
  // A context for one callback, without a deadline when `timeout` is empty.
  std::unique_ptr<grpc::ClientContext> NewContext(
      std::optional<std::chrono::milliseconds> timeout) const;

 private:
  std::string address_;
  std::string app_api_token_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<dapr::proto::runtime::v1::AppCallback::Stub> stub_;
  std::unique_ptr<dapr::proto::runtime::v1::AppCallbackAlpha::Stub> alpha_stub_;
  std::unique_ptr<dapr::proto::runtime::v1::AppCallbackHealthCheck::Stub> health_stub_;
  std::shared_ptr<void> owner_;
};

}  // namespace plughost
