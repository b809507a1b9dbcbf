// The host's configuration file (JSON) and the embedded defaults used without one.
//
//   {"app_id": "myapp",
//    "components": [{"name": "statestore", "type": "state.in-memory", "version": "v1",
//                    "metadata": {"keyPrefix": "none"}}]}
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace plughost {

struct ComponentSpec {
  std::string name;
  std::string type;     // "<kind prefix>.<impl>", e.g. "state.redis"
  std::string version;  // "v1" when absent
  std::map<std::string, std::string> metadata;  // numbers and booleans are kept as text
  std::string field;    // where it was declared, for messages: "components[2]"
};

struct HostConfig {
  std::string source;   // the file it came from, or "embedded defaults"
  std::string app_id;
  std::vector<ComponentSpec> components;
};

// Parses and validates `json_text`. Errors name `source_name`, the field (e.g.
// "components[1].type") and what is expected. Checks: valid JSON object; app_id a string;
// components an array of objects; name and type present non-empty strings; type of the form
// "<kind>.<impl>" with a known kind prefix; version a string; metadata an object of scalars;
// no two components with one name; no unknown top-level or component fields.
absl::StatusOr<HostConfig> ParseHostConfig(std::string_view json_text, std::string_view source_name);

// Reads and parses a file; an unreadable file is an error naming the path.
absl::StatusOr<HostConfig> LoadHostConfig(const std::string& path);

// The configuration used when no --config is given: one built-in instance of each kind.
HostConfig EmbeddedDefaults();

}  // namespace plughost
