// The gRPC port's connection count: a connection counts while this process still holds its
// socket, and stops counting once it is closed, without anyone telling the counter.
#include "host/runtime/handed_over_connections.h"

#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <vector>

namespace plughost {
namespace {

TEST_CASE("handed-over connections count until their descriptors close") {
  HandedOverConnections open(std::chrono::milliseconds(0));
  std::vector<int> ours, peers;
  for (int i = 0; i < 3; ++i) {
    int pair[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
    open.Add(pair[0]);
    ours.push_back(pair[0]);
    peers.push_back(pair[1]);
  }
  CHECK(open.HasRoom(4));
  CHECK_FALSE(open.HasRoom(3));  // all three still open
  ::close(ours[1]);              // "gRPC" closed one
  CHECK(open.HasRoom(3));
  CHECK(open.remembered() == 2);
  // The peer's end is a socket of this process too, but not one that was handed over.
  CHECK_FALSE(open.HasRoom(2));
  for (int fd : {ours[0], ours[2]}) ::close(fd);
  for (int fd : peers) ::close(fd);
  CHECK(open.HasRoom(1));
  CHECK(open.remembered() == 0);
}

TEST_CASE("the descriptor table is reread at most once per interval") {
  HandedOverConnections open(std::chrono::hours(1));
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  open.Add(pair[0]);
  auto now = HandedOverConnections::Clock::now();
  CHECK_FALSE(open.HasRoom(1, now));  // reread: still open
  ::close(pair[0]);
  ::close(pair[1]);
  CHECK_FALSE(open.HasRoom(1, now));  // not reread yet: errs on refusing
  CHECK(open.HasRoom(1, now + std::chrono::hours(2)));
}

}  // namespace
}  // namespace plughost
