// Command-line parsing for the plughost binary.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "host/conformance/conformance.h"
#include "host/runtime/host.h"

namespace plughost {

enum class Command { kServe, kComponents, kHelp, kVersion, kConformance };

struct CliOptions {
  Command command = Command::kServe;
  HostOptions host;
  std::string log_level = "info";
  std::string log_format = "text";
  ConformanceOptions conformance;  // for `plughost conformance`
};

// Reads an environment variable; empty when unset. Injectable for tests.
using EnvLookup = std::function<std::string(const char* name)>;
std::string ProcessEnv(const char* name);

// Parses argv (flags as "--flag value" or "--flag=value"). Errors name the flag at fault.
absl::StatusOr<CliOptions> ParseCommandLine(int argc, const char* const* argv,
                                            const EnvLookup& env = ProcessEnv);

std::string UsageText();

}  // namespace plughost
