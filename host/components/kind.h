// The component kinds plughost knows, and how their names map to types and socket services.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plughost {

enum class ComponentKind {
  kState,
  kPubSub,
  kInputBinding,
  kOutputBinding,
  kSecretStore,
  kConfiguration,
  kLock,
  kSequencer,
  kHello,
};

// Every kind, in a stable order (for listings and loops).
const std::vector<ComponentKind>& AllKinds();

// The prefix of a component type: "state", "pubsub", "bindings", "secretstores",
// "configuration", "lock", "sequencer", "hello". Input and output bindings share "bindings".
std::string_view KindPrefix(ComponentKind kind);

// A human-readable kind name ("state store", "input binding", ...) for messages.
std::string_view KindDisplayName(ComponentKind kind);

// The kinds whose prefix is `prefix` (two for "bindings", none for an unknown prefix).
std::vector<ComponentKind> KindsForPrefix(std::string_view prefix);

// The kind served by a fully qualified gRPC service name on a component socket, e.g.
// "dapr.proto.components.v1.StateStore" -> kState. Optional companion services
// (TransactionalStateStore, QueriableStateStore, ...) and unknown names give nullopt.
std::optional<ComponentKind> KindForService(std::string_view service);

// The primary socket service of a kind (the one discovery maps from).
std::string_view ServiceForKind(ComponentKind kind);

// Builds "<prefix>.<impl>", e.g. ("state", "redis") -> "state.redis".
std::string MakeType(ComponentKind kind, std::string_view impl);

// Splits a type at its first '.': "secretstores.local.env" -> {"secretstores", "local.env"}.
// Returns false when there is no '.' or either side is empty.
bool SplitType(std::string_view type, std::string* prefix, std::string* impl);

// The component name a socket file gives: its file name minus the last extension
// ("my-comp.sock" -> "my-comp", "a.b.sock" -> "a.b", "plain" -> "plain").
std::string ComponentNameFromSocketFile(std::string_view file_name);

}  // namespace plughost
