// Starting the processes a benchmark measures: the host, the C++ sample component and the
// harness's own servers, each ready (accepting connections) before it is returned.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "bench/process.h"

namespace plughost::bench {

struct Binaries {
  std::string plughost;  // --plughost, $PLUGHOST_BIN, or <build>/host/app/plughost
  std::string sample;    // --sample, $SAMPLE_COMPONENT_BIN, or the sample next to it
  std::string self;      // this executable, re-run for the echo and discovery servers
  // The grpc-go reference hop (bench/gohop), built by `make bench`; empty when not built.
  std::string gohop;
};

// A started child plus the gRPC target that reaches it ("unix:/path" or "127.0.0.1:port").
struct Served {
  std::unique_ptr<ChildProcess> process;
  std::string target;
};

// How the host's app-facing API listens.
enum class Transport { kUnix, kTcp };
const char* TransportName(Transport transport);

class Fixture {
 public:
  Fixture(Binaries binaries, TempDir* dir) : binaries_(std::move(binaries)), dir_(dir) {}

  const Binaries& binaries() const { return binaries_; }
  TempDir& dir() { return *dir_; }
  const std::string& error() const { return error_; }

  // The sample component on `socket_path`. Null on failure (see error()).
  std::unique_ptr<ChildProcess> StartSample(const std::string& socket_path);
  // plughost scanning `sockets_dir`, listening on a unix socket (under the scratch folder,
  // outside `sockets_dir`) or a free TCP port. `label` names its log and socket files.
  Served StartHost(const std::string& label, const std::string& sockets_dir, Transport transport,
                   const std::vector<std::string>& extra_args = {});
  // The echo server listening on every address given.
  Served StartEcho(const std::vector<std::string>& addresses);
  // Which of the bench's forwarding proxies to start.
  enum class ProxyKind {
    kCallback,         // --serve-proxy: gRPC's callback API on both sides
    kNghttp2,          // --serve-proxy-h2: its component side on an nghttp2 client
    kCompletionQueue,  // --serve-proxy-cq: gRPC's completion-queue API, one queue per thread
  };
  // The minimal forwarding proxy of `kind`, listening on `listen`, forwarding to `target`.
  Served StartProxy(const std::string& listen, const std::string& target,
                    ProxyKind kind = ProxyKind::kCallback);
  // The grpc-go reference hop (daprd's technology) on `listen`, serving GetState for the store
  // `store` from the component on `component_socket`.
  Served StartGoHop(const std::string& listen, const std::string& component_socket,
                    const std::string& store);

 private:
  bool WaitReady(ChildProcess* process, const std::string& target, const std::string& what);

  Binaries binaries_;
  TempDir* dir_;
  std::string error_;
};

}  // namespace plughost::bench
