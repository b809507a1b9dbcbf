// A state store that gets concurrency wrong, for testing the conformance kit: it advertises
// ETAG, ignores ETags on Delete and first-write, refuses a mismatched ETag on Set with a plain
// UNKNOWN error (no Dapr error details), and never answers Ping. Everything else (Get, Set,
// Delete, bulk calls, per-instance data) works. Served with reflection on a Unix socket.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace plughost::testing {

class BrokenStateStoreServer {
 public:
  enum class Flavor {
    kPlainErrors,  // as above
    // Does every ETag check, but answers them with bare codes (ABORTED for a mismatch,
    // INVALID_ARGUMENT for a malformed ETag) without Dapr's BadRequest detail: plughost
    // understands them, daprd does not. Answers Ping.
    kBareCodes,
  };
  explicit BrokenStateStoreServer(const std::string& socket_path,
                                  Flavor flavor = Flavor::kPlainErrors);
  ~BrokenStateStoreServer();
  bool started() const { return server_ != nullptr; }

 private:
  std::unique_ptr<grpc::Service> service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace plughost::testing
