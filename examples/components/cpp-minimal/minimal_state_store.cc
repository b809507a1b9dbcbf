// A complete pluggable state store on the plughost C++ SDK: values in a map, ETags as versions.
#include <map>
#include <mutex>
#include <optional>

#include "sdk/cpp/component_server.h"
#include "sdk/cpp/state_errors.h"

namespace sdk = plughost::sdk;

// The SDK makes one MapStore per instance (x-component-instance) and calls it from gRPC threads.
class MapStore final : public sdk::StateStore {
 public:
  std::vector<std::string> Features() override { return {"ETAG"}; }

  grpc::Status Get(const sdk::GetRequest& request, sdk::GetResponse* response) override {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(request.key()); it != entries_.end()) {
      response->set_data(it->second.value);
      response->mutable_etag()->set_value(std::to_string(it->second.version));
    }
    return grpc::Status::OK;  // a missing key is an empty answer, not an error
  }

  grpc::Status Set(const sdk::SetRequest& request) override {
    std::lock_guard lock(mutex_);
    grpc::Status status = sdk::CheckVersionEtag(request, VersionOf(request.key()));
    if (status.ok()) entries_[request.key()] = {request.value(), ++last_version_};
    return status;
  }

  grpc::Status Delete(const sdk::DeleteRequest& request) override {
    std::lock_guard lock(mutex_);
    grpc::Status status = sdk::CheckVersionEtag(request, VersionOf(request.key()));
    if (status.ok()) entries_.erase(request.key());
    return status;
  }

 private:
  struct Entry {
    std::string value;
    uint64_t version;
  };

  std::optional<uint64_t> VersionOf(const std::string& key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? std::nullopt : std::optional(it->second.version);
  }

  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  uint64_t last_version_ = 0;  // never reused, so an old ETag never matches a newer entry
};

int main(int argc, char** argv) {
  sdk::ComponentServer server("cpp-minimal");
  server.AddStateStore<MapStore>();
  return server.RunMain(argc, argv);  // [--socket PATH] [--name NAME]; stops on SIGINT/SIGTERM
}
