// Reading daprd's JSON request bodies as Go's encoding/json does: a field matches its name
// exactly or, failing that, ignoring case (SDKs send e.g. "entryID" for "entryId").
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

#include "common/equals_ignoring_case.h"

namespace plughost::dapr_http {

// The member `name` of `object`, or nullptr (also when `object` is not an object).
inline const nlohmann::json* Field(const nlohmann::json& object, std::string_view name) {
  if (!object.is_object()) return nullptr;
  if (auto it = object.find(name); it != object.end()) return &*it;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (EqualsIgnoringCase(it.key(), name)) return &it.value();
  }
  return nullptr;
}

// The string member `name`, or `fallback` when absent or not a string.
inline std::string StringField(const nlohmann::json& object, std::string_view name,
                               std::string fallback = "") {
  const auto* value = Field(object, name);
  return value && value->is_string() ? value->get<std::string>() : fallback;
}

}  // namespace plughost::dapr_http
