#include "host/conformance/conformance.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "host/conformance/await.h"
#include "host/conformance/suite.h"
#include "host/discovery/discovery.h"
#include "wrappers/pluggable_factories.h"

namespace plughost {
namespace {

using conformance::SuiteContext;
using SuiteFunction = void (*)(const SuiteContext&);

// Every suite, by the kind it checks. Adding a kind = one line here plus <kind>_suite.cc.
const std::map<ComponentKind, SuiteFunction>& Suites() {
  static const auto* suites = new std::map<ComponentKind, SuiteFunction>{
      {ComponentKind::kState, &conformance::RunStateSuite},
      {ComponentKind::kPubSub, &conformance::RunPubSubSuite},
      {ComponentKind::kInputBinding, &conformance::RunInputBindingSuite},
      {ComponentKind::kOutputBinding, &conformance::RunOutputBindingSuite},
      {ComponentKind::kSecretStore, &conformance::RunSecretStoreSuite},
      {ComponentKind::kConfiguration, &conformance::RunConfigurationSuite},
      {ComponentKind::kLock, &conformance::RunLockSuite},
      {ComponentKind::kSequencer, &conformance::RunSequencerSuite},
      {ComponentKind::kHello, &conformance::RunHelloSuite},
  };
  return *suites;
}

int UsageError(std::ostream& out, const std::string& message) {
  out << "plughost conformance: " << message << "\n" << std::flush;
  return 2;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string joined;
  for (const auto& part : parts) joined += (joined.empty() ? "" : ", ") + part;
  return joined;
}

std::vector<std::string> KnownPrefixes() {
  std::vector<std::string> prefixes;
  for (ComponentKind kind : AllKinds()) {
    std::string prefix(KindPrefix(kind));
    if (std::find(prefixes.begin(), prefixes.end(), prefix) == prefixes.end()) {
      prefixes.push_back(prefix);
    }
  }
  return prefixes;
}

std::string RandomRunId() {
  std::random_device device;
  return fmt::format("{:08x}", static_cast<uint32_t>(device()));
}

// The kinds `services` map to, in AllKinds() order.
std::vector<ComponentKind> KindsServed(const std::vector<std::string>& services) {
  std::vector<ComponentKind> kinds;
  for (ComponentKind kind : AllKinds()) {
    for (const auto& service : services) {
      if (KindForService(service) == kind) {
        kinds.push_back(kind);
        break;
      }
    }
  }
  return kinds;
}

// A clear reason when `path` cannot be a component socket at all; empty when it may be.
std::string CheckSocketPath(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    return fmt::format("cannot reach {}: {}", path, std::strerror(errno));
  }
  if (!S_ISSOCK(info.st_mode)) return fmt::format("cannot reach {}: not a Unix socket", path);
  return {};
}

}  // namespace

int RunConformance(const ConformanceOptions& options, std::ostream& out) {
  if (options.socket.empty()) return UsageError(out, "--socket PATH is required");
  std::vector<ComponentKind> wanted;
  if (!options.kind.empty()) {
    wanted = KindsForPrefix(options.kind);
    if (wanted.empty()) {
      return UsageError(out, fmt::format("--kind: unknown kind '{}'; expected one of {}",
                                         options.kind, Join(KnownPrefixes())));
    }
  }
  if (std::string reason = CheckSocketPath(options.socket); !reason.empty()) {
    return UsageError(out, reason);
  }

  auto probe = conformance::Await<std::vector<std::string>>(
      [&](Callback<std::vector<std::string>> done) {
        ProbeSocket(options.socket, options.probe_timeout, std::move(done));
      },
      options.probe_timeout + conformance::kWaitGrace);
  if (!probe.status.ok()) {
    return UsageError(
        out, fmt::format("cannot reach {}: {}", options.socket, probe.status.error_message()));
  }

  DiscoveredSocket socket;
  socket.path = options.socket;
  socket.name =
      ComponentNameFromSocketFile(std::filesystem::path(options.socket).filename().string());
  socket.services = probe.value;
  socket.kinds = KindsServed(socket.services);
  if (socket.kinds.empty()) {
    return UsageError(out, fmt::format("{} serves no component service plughost knows "
                                       "(services: {})",
                                       options.socket, Join(socket.services)));
  }
  if (!wanted.empty()) {
    std::vector<ComponentKind> served = std::move(socket.kinds);
    socket.kinds.clear();
    std::vector<std::string> served_prefixes;
    for (ComponentKind kind : served) {
      if (std::find(wanted.begin(), wanted.end(), kind) != wanted.end()) {
        socket.kinds.push_back(kind);
      }
      served_prefixes.emplace_back(KindPrefix(kind));
    }
    if (socket.kinds.empty()) {
      return UsageError(out, fmt::format("{} serves no {} component (it serves: {})",
                                         options.socket, options.kind, Join(served_prefixes)));
    }
  }

  conformance::Report report(out);
  SuiteContext context;
  context.metadata = options.metadata;
  context.run_id = RandomRunId();
  context.operations = options.operations;
  context.report = &report;

  std::vector<std::unique_ptr<ComponentFactory>> factories = MakeSocketFactories(socket);
  for (ComponentKind kind : socket.kinds) {
    std::string prefix(KindPrefix(kind));
    auto factory = std::find_if(factories.begin(), factories.end(),
                                [kind](const auto& f) { return f->kind() == kind; });
    report.Heading(
        fmt::format("{} ({}) on {}", KindDisplayName(kind), ServiceForKind(kind), options.socket));
    auto suite = Suites().find(kind);
    if (factory == factories.end() || suite == Suites().end()) {
      report.Record(prefix + "/suite",
                    conformance::Skip("the host has no adapter or suite for this kind yet"));
      continue;
    }
    context.factory = factory->get();
    suite->second(context);
  }
  report.PrintSummary();
  return report.failed() > 0 ? 1 : 0;
}

}  // namespace plughost
