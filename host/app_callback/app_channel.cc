#include "host/app_callback/app_channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "host/common/callback_queue_pin.h"

namespace plughost {

AppChannel::AppChannel(std::string address, std::string app_api_token)
    : address_(std::move(address)), app_api_token_(std::move(app_api_token)) {
  PinCallbackCompletionQueue();  // see host/common/callback_queue_pin.h
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  // Apps restart often during development; reconnect quickly once they are back.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  channel_ = grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(), args);
  stub_ = dapr::proto::runtime::v1::AppCallback::NewStub(channel_);
  alpha_stub_ = dapr::proto::runtime::v1::AppCallbackAlpha::NewStub(channel_);
  health_stub_ = dapr::proto::runtime::v1::AppCallbackHealthCheck::NewStub(channel_);
}

AppChannel::AppChannel(std::string address, std::shared_ptr<grpc::Channel> channel,
                       std::shared_ptr<void> owner)
    : address_(std::move(address)),
      channel_(std::move(channel)),
      stub_(dapr::proto::runtime::v1::AppCallback::NewStub(channel_)),
      alpha_stub_(dapr::proto::runtime::v1::AppCallbackAlpha::NewStub(channel_)),
      health_stub_(dapr::proto::runtime::v1::AppCallbackHealthCheck::NewStub(channel_)),
      owner_(std::move(owner)) {
  PinCallbackCompletionQueue();
}

std::unique_ptr<grpc::ClientContext> AppChannel::NewContext(
    std::chrono::milliseconds timeout) const {
  return NewContext(std::optional<std::chrono::milliseconds>(timeout));
}

std::unique_ptr<grpc::ClientContext> AppChannel::NewContext(
    std::optional<std::chrono::milliseconds> timeout) const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (timeout) context->set_deadline(std::chrono::system_clock::now() + *timeout);
  if (!app_api_token_.empty()) context->AddMetadata("dapr-api-token", app_api_token_);
  return context;
}

}  // namespace plughost
