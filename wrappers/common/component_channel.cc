#include "wrappers/common/component_channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/server_context.h>

#include <filesystem>

#include "host/common/callback_queue_pin.h"
#include "wrappers/common/response_limit.h"

namespace plughost {

grpc::ChannelArguments ComponentChannelArguments() {
  grpc::ChannelArguments args;
  // Components may legitimately return values larger than gRPC's 4 MiB default, but not
  // without bound (response_limit.h). Requests are bounded by the app-facing side.
  args.SetMaxReceiveMessageSize(kMaxComponentResponseBytes);
  args.SetMaxSendMessageSize(-1);
  // Keep the connection warm so the first call after an idle period does not pay a reconnect.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Reconnect quickly when a component restarts on the same socket path.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // The host never retries a component call by itself (the app decides), so gRPC's retry
  // machinery, on by default, would only cost a filter and a copy of every request.
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  // A local socket has no bandwidth-delay product to discover; the probe's PINGs only add
  // writes and wake-ups to every burst of data.
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  return args;
}

ComponentChannel::ComponentChannel(std::string socket_path, std::string instance_name)
    : socket_path_(std::move(socket_path)), instance_name_(std::move(instance_name)) {
  // Without it, the last component channel destroyed on a gRPC thread aborts the process.
  PinCallbackCompletionQueue();
  grpc::ChannelArguments args = ComponentChannelArguments();
  // A distinct argument gives each instance its own connection rather than a shared subchannel.
  args.SetString("plughost.instance", instance_name_);
  std::error_code ec;
  auto absolute = std::filesystem::absolute(socket_path_, ec);
  std::string target = "unix:" + (ec ? socket_path_ : absolute.string());
  channel_ = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<grpc::ClientContext> ComponentChannel::NewCallContext(
    const CallOptions& options) const {
  auto fallback = std::chrono::system_clock::now() + options.default_timeout;
  std::unique_ptr<grpc::ClientContext> context;
  if (options.app_call != nullptr) {
    // Propagates the app's deadline and cancellation to the component call.
    context = grpc::ClientContext::FromCallbackServerContext(*options.app_call);
    if (options.app_call->deadline() > fallback) context->set_deadline(fallback);
  } else {
    context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(fallback);
  }
  context->AddMetadata(kInstanceHeader, instance_name_);
  return context;
}

std::unique_ptr<grpc::ClientContext> ComponentChannel::NewControlContext(
    std::chrono::milliseconds timeout, bool wait_for_ready) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_wait_for_ready(wait_for_ready);
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  context->AddMetadata(kInstanceHeader, instance_name_);
  return context;
}

}  // namespace plughost
