// The text log keeps every event on one line whatever its fields hold.
#include "host/common/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>
#include <string>

namespace plughost::log {
namespace {

// What `write` sends to stderr, captured through a temporary file.
template <typename Write>
std::string CaptureStderr(Write write) {
  char path[] = "/tmp/ph-log-test-XXXXXX";
  int file = ::mkstemp(path);
  REQUIRE(file >= 0);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(file, STDERR_FILENO);
  write();
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::string text;
  ::lseek(file, 0, SEEK_SET);
  char buffer[4096];
  for (ssize_t n; (n = ::read(file, buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  ::close(file);
  ::unlink(path);
  return text;
}

}  // namespace

TEST_CASE("a topic name with a newline makes one log line, escaped", "[log]") {
  SetJsonFormat(false);
  std::string topic = "orders\n2026-01-01T00:00:00.000Z INFO  host: fake line\r\x1b[31m";
  auto text = CaptureStderr([&] { PH_LOG_WARN("pubsub", "topic '{}' has no subscriber", topic); });
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  CHECK(text.back() == '\n');
  CHECK_THAT(
      text,
      Catch::Contains(
          R"(topic 'orders\n2026-01-01T00:00:00.000Z INFO  host: fake line\r\x1b[31m' has no subscriber)"));
}

TEST_CASE("ordinary text is logged as it is", "[log]") {
  SetJsonFormat(false);
  auto text = CaptureStderr([] { PH_LOG_INFO("host", "tab\tand ünïcode stay readable"); });
  CHECK_THAT(text, Catch::EndsWith("host: tab\\tand ünïcode stay readable\n"));
}

}  // namespace plughost::log
