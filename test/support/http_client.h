// Test support: a plain HTTP/1.1 client over TCP (one request per connection), enough to call
// every route of the host's Dapr HTTP API and read status, headers and body.
#pragma once

#include <map>
#include <string>

namespace plughost::testing {

struct HttpResult {
  int status = 0;                              // 0 when nothing answered
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  bool HasHeader(const std::string& name) const { return headers.count(name) > 0; }
};

// Sends `method target` with `body` and `headers` to 127.0.0.1:port and reads the answer.
HttpResult HttpCall(int port, const std::string& method, const std::string& target,
                    const std::string& body = "",
                    const std::map<std::string, std::string>& headers = {});

// Sends raw bytes on one connection and returns everything read until the server closes it or
// `timeout_ms` passes without data (for keep-alive, pipelining and malformed-request tests).
std::string HttpRaw(int port, const std::string& bytes, int timeout_ms = 3000);

}  // namespace plughost::testing
