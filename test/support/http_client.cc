#include "test/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace plughost::testing {
namespace {

int Connect(int port, int timeout_ms) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

}  // namespace

std::string HttpRaw(int port, const std::string& bytes, int timeout_ms) {
  int fd = Connect(port, timeout_ms);
  if (fd < 0) return "";
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buffer[8192];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0)
    raw.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  return raw;
}

HttpResult HttpCall(int port, const std::string& method, const std::string& target,
                    const std::string& body, const std::map<std::string, std::string>& headers) {
  std::string request =
      method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  bool has_type = false;
  for (const auto& [name, value] : headers) {
    request += name + ": " + value + "\r\n";
    has_type = has_type || Lower(name) == "content-type";
  }
  if (!body.empty() && !has_type) request += "Content-Type: application/json\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  std::string raw = HttpRaw(port, request, 10000);
  HttpResult result;
  if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12) return result;
  result.status = std::atoi(raw.c_str() + 9);
  auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return result;
  size_t line = raw.find("\r\n") + 2;
  while (line < end) {
    size_t next = raw.find("\r\n", line);
    std::string header = raw.substr(line, next - line);
    if (auto colon = header.find(':'); colon != std::string::npos) {
      std::string value = header.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      result.headers[Lower(header.substr(0, colon))] = value;
    }
    line = next + 2;
  }
  result.body = raw.substr(end + 4);
  return result;
}

}  // namespace plughost::testing
