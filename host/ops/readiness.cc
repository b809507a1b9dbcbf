#include "host/ops/readiness.h"

#include <fmt/format.h>

#include <string_view>

#include "host/common/log.h"
#include "host/registry/instance_table.h"

namespace plughost {
namespace {

std::string_view Condition(const InstanceHealth& health) {
  switch (health.state()) {
    case InstanceHealth::State::kReinitializing:
      return "initialising again";
    case InstanceHealth::State::kUnavailable:
      return "unavailable";
    case InstanceHealth::State::kReady:
      break;
  }
  return health.failing_health_checks() ? "failing its health checks" : "ready";
}

// Values shorter than this are not masked: "true", "1" or "10" would blank out the message
// itself, and are no secrets.
constexpr size_t kShortestMaskedValue = 4;

// The reason as recorded, made safe to show: metadata values masked (a component may quote its
// connection string, password included), control characters escaped, length bounded.
std::string SafeReason(const InstanceInfo& instance) {
  std::string reason = instance.health->reason();
  for (const auto* metadata : {&instance.metadata, &instance.init_spec.metadata}) {
    for (const auto& [key, value] : *metadata) {
      if (value.size() < kShortestMaskedValue) continue;
      for (size_t at = reason.find(value); at != std::string::npos;
           at = reason.find(value, at + 3)) {
        reason.replace(at, value.size(), "***");
      }
    }
  }
  if (reason.size() > kMaxReasonBytes) {
    reason.resize(kMaxReasonBytes);
    reason += "...";
  }
  return log::EscapeControl(reason);
}

}  // namespace

Readiness RenderReadiness(const InstanceTable& instances, const std::string& process_problems,
                          bool verbose) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end = process_problems.find('\n'); end != std::string::npos;
       start = end + 1, end = process_problems.find('\n', start)) {
    lines.push_back(log::EscapeControl(process_problems.substr(start, end - start)));
  }
  if (start < process_problems.size()) {
    lines.push_back(log::EscapeControl(process_problems.substr(start)));
  }
  for (const auto& instance : instances.All()) {
    if (instance->health->counts_as_ready()) continue;
    std::string line = fmt::format(
        "{} {} ({}): {}", KindPrefix(instance->kind), log::EscapeControl(instance->name),
        log::EscapeControl(instance->type), Condition(*instance->health));
    if (verbose) line += ": " + SafeReason(*instance);
    lines.push_back(std::move(line));
  }
  Readiness readiness;
  if (lines.empty()) {
    readiness.body = "ready\n";
    return readiness;
  }
  readiness.ready = false;
  readiness.body = "not ready:\n";
  for (size_t i = 0; i < lines.size() && i < kMaxReadinessLines; ++i) {
    readiness.body += lines[i] + "\n";
  }
  if (lines.size() > kMaxReadinessLines) {
    readiness.body += fmt::format("... and {} more\n", lines.size() - kMaxReadinessLines);
  }
  return readiness;
}

}  // namespace plughost
