// What daprd does to every component's metadata before Init: the placeholders {uuid},
// {podName}, {namespace} and {appID} expanded in every value, and a pubsub's consumerID
// defaulted to the app id.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "host/components/kind.h"

namespace plughost {

struct MetadataContext {
  std::string app_id;
  // Environment lookups (NAMESPACE, POD_NAME; "" when unset) and the host name, injectable.
  std::function<std::string(const char*)> env;
  std::function<std::string()> host_name;
  std::function<std::string()> new_uuid;
};

// The context of this process: its environment, gethostname() and random UUIDs.
MetadataContext ProcessMetadataContext(std::string app_id);

// Expands the placeholders in every value: {uuid} a fresh UUID per occurrence, {podName}
// POD_NAME else the host name, {namespace} "<NAMESPACE or default>.<app id>" (daprd's form),
// {appID} the app id. Then, for a pubsub, a missing or blank consumerID becomes the app id.
void PrepareComponentMetadata(ComponentKind kind, const MetadataContext& context,
                              std::map<std::string, std::string>* metadata);

}  // namespace plughost
