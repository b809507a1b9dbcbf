// Things that sit on Unix sockets for discovery tests: real gRPC servers (with and without
// reflection, v1alpha or v1 only) and raw listeners that misbehave in known ways.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace plughost::testing {

// A fresh short directory under /tmp (socket paths must stay under 108 bytes), removed with
// everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

enum class Reflection {
  kNone,        // no reflection service at all
  kV1Alpha,     // the library plugin (Debian's serves v1alpha only)
  kV1OnlyFake,  // a hand-written v1-only reflection service, as grpc-go's RegisterV1 gives
  kV1OnlySlow   // the same, answering only after 700 ms: a gRPC server that is merely slow
};

// Service names, for servers built by StartServer.
inline constexpr const char* kStateStore = "dapr.proto.components.v1.StateStore";
inline constexpr const char* kInputBinding = "dapr.proto.components.v1.InputBinding";
inline constexpr const char* kOutputBinding = "dapr.proto.components.v1.OutputBinding";
inline constexpr const char* kTransactionalStateStore =
    "dapr.proto.components.v1.TransactionalStateStore";

// A callback gRPC server on `socket_path` serving the named services (any of the constants
// above) with all methods unimplemented, plus the chosen reflection. Shuts down on destruction.
class TestServer {
 public:
  TestServer(const std::string& socket_path, const std::vector<std::string>& services,
             Reflection reflection);
  ~TestServer();
  bool started() const { return server_ != nullptr; }

 private:
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
};

// A socket file with nothing behind it: bound, then closed without unlinking, as a crashed
// component leaves it. connect() gets ECONNREFUSED.
bool MakeDeadSocket(const std::string& path);

// A raw AF_UNIX listener. kHung listens and never accepts, so a client's connect succeeds
// into the backlog and then hears nothing. kGarbage accepts, writes bytes that are not HTTP/2
// and holds the connection until the client hangs up.
class RawListener {
 public:
  enum class Mode { kHung, kGarbage };
  RawListener(const std::string& path, Mode mode);
  ~RawListener();
  bool started() const { return fd_ >= 0; }

 private:
  void ServeGarbage();

  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace plughost::testing
