// Dapr resource files (daprd's --resources-path): every YAML document of a folder's .yaml/.yml
// files, read into the host's configuration.
//
//   apiVersion: dapr.io/v1alpha1
//   kind: Component
//   metadata: {name: statestore}
//   spec:
//     type: state.redis            # a pluggable one: state.<socket name>
//     version: v1
//     initTimeout: 10s
//     ignoreErrors: false
//     metadata:
//     - {name: redisHost, value: "localhost:6379"}
//     - {name: redisPassword, secretKeyRef: {name: redis, key: password}}
//   auth: {secretStore: localsecrets}
//   scopes: [app1]
//
// Kinds read: Component, Subscription (dapr.io/v1alpha1 and v2alpha1) and Resiliency (its
// timeouts and retries for pubsub inbound targets), plus plughost's own Process (the JSON
// config's `processes` entry; a name declared twice, in either place, is an error naming both):
//
//   apiVersion: plughost.io/v1alpha1
//   kind: Process
//   metadata: {name: redis}        # serves <sockets-dir>/redis.sock
//   spec:
//     command: [./redis-component, --socket, "{socket}"]
//     env: {REDIS_URL: "localhost:6379"}
//     workdir: /opt/components
//     restart: always              # or on-failure, never
//
// Other kinds are skipped with one log line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "host/config/host_config.h"

namespace plughost {

// Parses one file's text (`file` names it in messages) into `config`, skipping documents
// scoped to other app ids than `app_id`. Errors name the file, the document's index (from 0)
// and the field, e.g. "c.yaml: document 1: spec.metadata[2].secretKeyRef.name: required".
// A component or subscription whose name `config` already holds is an error naming both files.
absl::Status ParseResourceFile(std::string_view yaml_text, const std::string& file,
                               const std::string& app_id, HostConfig* config);

// Reads every .yaml/.yml file (case-insensitive, not recursive, in name order) of each folder,
// in the order given. A folder that cannot be read is an error.
absl::Status LoadResourceFolders(const std::vector<std::string>& folders, const std::string& app_id,
                                 HostConfig* config);

// Go's duration syntax as Dapr's files use it ("5s", "1m30s", "500ms"); false when malformed.
bool ParseGoDuration(std::string_view text, std::chrono::milliseconds* out);

}  // namespace plughost
