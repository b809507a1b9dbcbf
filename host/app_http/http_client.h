// A small asynchronous HTTP/1.1 client for one server (the app), on Boost.Beast: keep-alive
// connections reused from a bounded idle pool (never a dial per call when one is idle), one
// retry on a fresh connection when a reused one turns out to be closed, a response-size limit,
// and a timeout per request. Its own I/O thread runs every completion; `done` runs there and
// must not block.
#pragma once

#include <grpcpp/support/status.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace plughost {

struct HttpRequest {
  std::string method = "GET";  // GET, POST, OPTIONS, PUT, DELETE
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class HttpClient {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    std::string port = "80";
    size_t max_idle_connections = 32;
    size_t max_response_bytes = 64u << 20;
  };
  // A transport failure is UNAVAILABLE (DEADLINE_EXCEEDED after `timeout`); any HTTP answer,
  // whatever its status, is OK with the response.
  using Done = std::function<void(grpc::Status, HttpResponse)>;

  explicit HttpClient(Options options);
  ~HttpClient();  // Stop()
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Ends every request in flight (their `done` sees CANCELLED or UNAVAILABLE) and the I/O
  // thread; later Sends fail at once. Idempotent.
  void Stop();

  // `timeout` of zero means none. `done` is called exactly once.
  void Send(HttpRequest request, std::chrono::milliseconds timeout, Done done);

  const Options& options() const { return options_; }

 private:
  class Impl;
  Options options_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace plughost
