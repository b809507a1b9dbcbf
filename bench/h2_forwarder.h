// Experiment (issue 16): the component hop of a proxy on a lean HTTP/2 client (nghttp2)
// speaking gRPC's framing, instead of a gRPC C++ channel. Bench-only, built when libnghttp2 is
// found; see bench/RESULTS.md "Hot path" for what it measured and what production would need.
#pragma once

#include <grpcpp/support/status.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace plughost::bench {

// One HTTP/2 connection to a gRPC server on a Unix socket, shared by every caller. A call is
// submitted and written from the caller's own thread (the socket is non-blocking, so it never
// waits); one I/O thread reads responses and runs completions on itself. Unary calls only; no
// reconnect, no local deadline timer, no cancellation (see the RESULTS.md subsection).
class H2Forwarder {
 public:
  // Runs once, on the I/O thread (or on the caller's thread when the call fails at once), with
  // the status from the trailers and the response message without its 5-byte gRPC prefix.
  using Done = std::function<void(const grpc::Status& status, std::string message)>;

  // Connects to `socket_path`; nullptr (and `error` filled) when it cannot.
  static std::unique_ptr<H2Forwarder> Connect(const std::string& socket_path, std::string* error);
  ~H2Forwarder();  // stops the I/O thread; calls still pending complete with UNAVAILABLE
  H2Forwarder(const H2Forwarder&) = delete;
  H2Forwarder& operator=(const H2Forwarder&) = delete;

  // Starts the unary call `path` ("/package.Service/Method") whose serialized message is the
  // concatenation of `message_pieces` (copied before returning). `instance` becomes
  // x-component-instance when not empty; `timeout` becomes grpc-timeout when positive (the server
  // enforces it).
  void Unary(const std::string& path, const std::string& instance,
             std::chrono::microseconds timeout, const std::vector<std::string_view>& message_pieces,
             Done done);

  struct Impl;

 private:
  explicit H2Forwarder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// `plughost-bench --serve-proxy-h2 LISTEN TARGET`: the generic callback-API server of
// --serve-proxy, forwarding each unary call's bytes through one H2Forwarder to TARGET
// ("unix:/path"). Serves until SIGTERM/SIGINT; returns the exit code.
int ServeH2Proxy(const std::string& listen, const std::string& target);

}  // namespace plughost::bench
