// Test support: a minimal HTTP/1.1 GET over TCP, enough to scrape the host's ops endpoints.
#pragma once

#include <string>

namespace plughost::testing {

struct HttpResponse {
  int status = 0;  // 0 when nothing answered
  std::string body;
};

HttpResponse HttpGet(int port, const std::string& path);

}  // namespace plughost::testing
