#include "host/components/kind.h"

#include <array>

namespace plughost {
namespace {

struct KindInfo {
  ComponentKind kind;
  std::string_view prefix;
  std::string_view display;
  std::string_view service;
};

constexpr std::array<KindInfo, 9> kKinds{{
    {ComponentKind::kState, "state", "state store", "dapr.proto.components.v1.StateStore"},
    {ComponentKind::kPubSub, "pubsub", "pubsub", "dapr.proto.components.v1.PubSub"},
    {ComponentKind::kInputBinding, "bindings", "input binding",
     "dapr.proto.components.v1.InputBinding"},
    {ComponentKind::kOutputBinding, "bindings", "output binding",
     "dapr.proto.components.v1.OutputBinding"},
    {ComponentKind::kSecretStore, "secretstores", "secret store",
     "dapr.proto.components.v1.SecretStore"},
    {ComponentKind::kConfiguration, "configuration", "configuration store",
     "plughost.components.v1.Configuration"},
    {ComponentKind::kLock, "lock", "lock store", "plughost.components.v1.Lock"},
    {ComponentKind::kSequencer, "sequencer", "sequencer", "plughost.components.v1.Sequencer"},
    {ComponentKind::kHello, "hello", "hello service", "spec.proto.pluggable.v1.hello.Hello"},
}};

const KindInfo& Info(ComponentKind kind) {
  for (const auto& info : kKinds) {
    if (info.kind == kind) return info;
  }
  return kKinds[0];
}

}  // namespace

const std::vector<ComponentKind>& AllKinds() {
  static const std::vector<ComponentKind> kAll = [] {
    std::vector<ComponentKind> all;
    all.reserve(std::size(kKinds));
    for (const auto& info : kKinds) all.push_back(info.kind);
    return all;
  }();
  return kAll;
}

std::string_view KindPrefix(ComponentKind kind) { return Info(kind).prefix; }
std::string_view KindDisplayName(ComponentKind kind) { return Info(kind).display; }
std::string_view ServiceForKind(ComponentKind kind) { return Info(kind).service; }

std::vector<ComponentKind> KindsForPrefix(std::string_view prefix) {
  std::vector<ComponentKind> kinds;
  for (const auto& info : kKinds) {
    if (info.prefix == prefix) kinds.push_back(info.kind);
  }
  return kinds;
}

std::optional<ComponentKind> KindForService(std::string_view service) {
  for (const auto& info : kKinds) {
    if (info.service == service) return info.kind;
  }
  return std::nullopt;
}

std::string MakeType(ComponentKind kind, std::string_view impl) {
  std::string type(KindPrefix(kind));
  type += '.';
  type += impl;
  return type;
}

bool SplitType(std::string_view type, std::string* prefix, std::string* impl) {
  auto dot = type.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == type.size()) return false;
  *prefix = std::string(type.substr(0, dot));
  *impl = std::string(type.substr(dot + 1));
  return true;
}

std::string ComponentNameFromSocketFile(std::string_view file_name) {
  auto dot = file_name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return std::string(file_name);
  return std::string(file_name.substr(0, dot));
}

}  // namespace plughost
