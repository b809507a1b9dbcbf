// SocketGuard against real files and sockets: it never takes a socket another process serves,
// and it cleans up what it owns.
#include "sdk/cpp/socket_guard.h"

#include <catch2/catch.hpp>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "test/support/process.h"

namespace plughost::sdk {
namespace {

using plughost::testing::TempDir;
using plughost::testing::WriteFile;

// A Unix socket bound at `path`; listening when `listen_too`, else a file nobody serves.
int BindSocket(const std::string& path, bool listen_too) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  if (listen_too) REQUIRE(::listen(fd, 4) == 0);
  return fd;
}

bool Exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

ino_t InodeOf(const std::string& path) {
  struct stat info {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info.st_ino;
}

}  // namespace

TEST_CASE("a fresh path is claimed in a folder created for it, and released", "[sdk]") {
  TempDir dir;
  const std::string socket = dir.File("nested/folder/c.sock");
  {
    auto guard = SocketGuard::Claim(socket);
    REQUIRE(guard.ok());
    struct stat folder {};
    REQUIRE(::stat(dir.File("nested/folder").c_str(), &folder) == 0);
    CHECK(S_ISDIR(folder.st_mode));
    CHECK((folder.st_mode & 0007) == 0);  // nobody outside the group can reach the socket
    CHECK(Exists(socket + ".lock"));
  }
  CHECK_FALSE(Exists(socket + ".lock"));
}

TEST_CASE("a socket another process serves is refused and left alone", "[sdk]") {
  TempDir dir;
  const std::string socket = dir.File("live.sock");
  int listener = BindSocket(socket, /*listen_too=*/true);
  ino_t before = InodeOf(socket);

  auto guard = SocketGuard::Claim(socket);
  CHECK(guard.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(guard.status().message()), Catch::Contains("in use by another process"));
  CHECK(InodeOf(socket) == before);
  ::close(listener);
}

TEST_CASE("a stale socket nobody serves is removed", "[sdk]") {
  TempDir dir;
  const std::string socket = dir.File("stale.sock");
  ::close(BindSocket(socket, /*listen_too=*/false));
  REQUIRE(Exists(socket));

  auto guard = SocketGuard::Claim(socket);
  REQUIRE(guard.ok());
  CHECK_FALSE(Exists(socket));
}

TEST_CASE("a second claim of a held path is refused", "[sdk]") {
  TempDir dir;
  const std::string socket = dir.File("held.sock");
  auto first = SocketGuard::Claim(socket);
  REQUIRE(first.ok());
  auto second = SocketGuard::Claim(socket);
  CHECK(second.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(second.status().message()), Catch::Contains("claimed by another process"));
  // Once the first lets go, the path can be claimed again.
  first->reset();
  CHECK(SocketGuard::Claim(socket).ok());
}

TEST_CASE("paths that are not sockets or too long are refused", "[sdk]") {
  TempDir dir;
  WriteFile(dir.File("plain.sock"), "data");
  auto plain = SocketGuard::Claim(dir.File("plain.sock"));
  CHECK(plain.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(plain.status().message()), Catch::Contains("is not a socket"));
  CHECK(Exists(dir.File("plain.sock")));

  auto long_path = SocketGuard::Claim(dir.File(std::string(120, 'x') + ".sock"));
  CHECK(long_path.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(long_path.status().message()), Catch::Contains("longer than 107 bytes"));
}

TEST_CASE("the bound socket gets mode 0660 and is removed only while it is still ours", "[sdk]") {
  TempDir dir;
  const std::string socket = dir.File("bound.sock");
  {
    auto guard = SocketGuard::Claim(socket);
    REQUIRE(guard.ok());
    int server = BindSocket(socket, /*listen_too=*/true);
    REQUIRE((*guard)->MarkBound().ok());
    struct stat info {};
    REQUIRE(::stat(socket.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0660);
    ::close(server);
  }
  CHECK_FALSE(Exists(socket));

  // A server that ignores the lock replaced our socket: the guard must not delete its file.
  {
    auto guard = SocketGuard::Claim(socket);
    REQUIRE(guard.ok());
    // Ours stays open meanwhile, as a serving socket would, so its inode cannot be reused.
    int ours = BindSocket(socket, /*listen_too=*/true);
    REQUIRE((*guard)->MarkBound().ok());
    ::unlink(socket.c_str());
    int intruder = BindSocket(socket, /*listen_too=*/true);
    guard->reset();
    CHECK(Exists(socket));
    ::close(intruder);
    ::close(ours);
  }
}

}  // namespace plughost::sdk
