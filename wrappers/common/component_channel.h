// The long-lived connection from the host to one component instance over its Unix socket.
// Every call made through it carries `x-component-instance: <instance>`, so one socket can
// serve several isolated instances.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/channel_arguments.h>

#include "host/components/component.h"

namespace plughost {

inline constexpr char kInstanceHeader[] = "x-component-instance";

class ComponentChannel {
 public:
  ComponentChannel(std::string socket_path, std::string instance_name);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const std::string& socket_path() const { return socket_path_; }
  const std::string& instance_name() const { return instance_name_; }

  // A context for one data-plane call: the instance header, plus the app call's deadline and
  // cancellation when there is one, else `options.default_timeout`.
  std::unique_ptr<grpc::ClientContext> NewCallContext(const CallOptions& options) const;
  // A context for a control call (Init, Features, Ping) bounded by `timeout`. With
  // `wait_for_ready` the call waits (within the timeout) for a component that is restarting
  // to accept connections, instead of failing at once; Init uses it, Ping must not.
  std::unique_ptr<grpc::ClientContext> NewControlContext(std::chrono::milliseconds timeout,
                                                         bool wait_for_ready = false) const;

 private:
  std::string socket_path_;
  std::string instance_name_;
  std::shared_ptr<grpc::Channel> channel_;
};

// Channel arguments shared by every connection to a component (message size, keepalive).
grpc::ChannelArguments ComponentChannelArguments();

}  // namespace plughost
