// A small asynchronous HTTP/1.1 server (Boost.Beast) on its own io_context thread(s), for APIs
// whose handlers answer later from another thread (e.g. from a gRPC completion callback).
//
// Per connection: keep-alive and pipelining (requests are answered in order, one at a time; the
// bytes of the next request wait in the read buffer); a body limit (413); a timeout for a
// connection's idle wait, one for reading the header and one for reading the body, so a client
// that trickles bytes (slowloris) is dropped; a bound on open connections (beyond it a new
// connection gets 503 and is closed) so such clients cannot hold every file descriptor; when
// descriptors run out anyway (EMFILE), accepting waits and tries again instead of giving up.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "host/common/limit_hits.h"

namespace plughost {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// Answers one request: must be called exactly once, from any thread, never blocks.
using HttpReply = std::function<void(HttpResponse)>;
// Runs on the server's thread and must not block: start the work, reply when it completes.
using HttpHandler = std::function<void(HttpRequest&&, HttpReply)>;

struct HttpServerOptions {
  size_t max_body_bytes = 4 << 20;  // daprd's --max-body-size default (4 MiB)
  size_t max_header_bytes = 16 << 10;
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(120)};   // between requests
  std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};  // first byte -> header end
  std::chrono::milliseconds body_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds write_timeout{std::chrono::seconds(60)};
  size_t max_connections = 1024;
  // Counted in plughost_limit_hits_total each time a connection is refused for the bound.
  limit_hits::Limit connections_full_limit = limit_hits::Limit::kHttpConnectionsFull;
  std::string name = "HTTP API";  // how the log names this server
  int threads = 1;
};

class HttpServer {
 public:
  // Binds `address` ("host:port"; port 0 picks one) and starts serving with `handler`.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& address,
                                                           HttpServerOptions options,
                                                           HttpHandler handler);
  // Stops accepting, closes connections and joins the threads. Replies that arrive later
  // are dropped.
  ~HttpServer();

  // The bound "host:port".
  const std::string& address() const;

 private:
  class Impl;
  explicit HttpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace plughost
