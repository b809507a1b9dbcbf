// What the Layotto configuration handlers share (layotto_configuration_api.cc and
// layotto_configuration_stream.cc): the store lookup's wording and the item mapping.
#pragma once

#include <map>
#include <string>

#include "host/api/api_context.h"
#include "host/components/configuration_store.h"
#include "spec/proto/runtime/v1/runtime.pb.h"

namespace plughost {

// Layotto's answer when the store is unknown or there is none: UNKNOWN "configure store [<name>]
// don't support now" (an untyped Go error in Layotto, which gRPC sends as UNKNOWN).
extern const LookupWording kLayottoConfigurationWording;

// The request's metadata plus non-empty group and label as metadata "group"/"label".
std::map<std::string, std::string> LayottoStoreMetadata(
    const google::protobuf::Map<std::string, std::string>& request_metadata,
    const std::string& group, const std::string& label);

// Appends `items` sorted by key: content = value; group and label are the item's metadata
// "group"/"label" when the store set them, else the request's; a version travels in metadata
// "version". Moves out of `items`.
void AppendLayottoItems(
    google::protobuf::Map<std::string, configpb::ConfigurationItem>& items,
    const std::string& group, const std::string& label,
    google::protobuf::RepeatedPtrField<::spec::proto::runtime::v1::ConfigurationItem>* out);

}  // namespace plughost
