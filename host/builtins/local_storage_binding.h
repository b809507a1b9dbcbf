// bindings.localstorage: an output binding storing files under metadata "rootPath" (required;
// created if missing). Operations, as in Dapr's component of the same name:
//   create  data -> file; metadata "fileName" (a random UUID when absent, may contain
//           sub-directories); response metadata {"fileName"} and data {"fileName": "..."}
//   get     metadata "fileName" -> the file's bytes
//   delete  metadata "fileName"
//   list    JSON array of file paths relative to rootPath, sorted; metadata "fileName" may
//           name a sub-directory to list instead
// A fileName that is absolute, holds "..", or resolves (through symlinks) outside rootPath is
// refused with INVALID_ARGUMENT; a missing file on get/delete is NOT_FOUND. Unlike Dapr's, data
// is stored as given: it is not base64-decoded when it happens to look like base64.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "host/components/bindings.h"

namespace plughost {

class LocalStorageBinding : public OutputBinding {
 public:
  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override { return {kFeatureOutputBinding}; }
  void Ping(StatusCallback done) override { done(grpc::Status::OK); }
  void Invoke(bindingspb::InvokeRequest request, const CallOptions& options,
              Callback<bindingspb::InvokeResponse> done) override;
  std::vector<std::string> Operations() const override;

 private:
  grpc::Status Create(const bindingspb::InvokeRequest& request,
                      bindingspb::InvokeResponse* response);
  grpc::Status Get(const bindingspb::InvokeRequest& request, bindingspb::InvokeResponse* response);
  grpc::Status Delete(const bindingspb::InvokeRequest& request);
  grpc::Status List(const bindingspb::InvokeRequest& request, bindingspb::InvokeResponse* response);

  // The absolute path `file_name` names inside the root, or INVALID_ARGUMENT when it escapes.
  grpc::Status Resolve(const std::string& file_name, std::filesystem::path* path) const;
  std::filesystem::path root() const;
  // The root folder's descriptor: every file is opened beneath it (host/builtins/open_beneath.h).
  std::shared_ptr<const int> root_fd() const;

  mutable std::mutex mutex_;
  std::filesystem::path root_;          // canonical
  std::shared_ptr<const int> root_fd_;  // closed when the last user lets go
};

}  // namespace plughost
