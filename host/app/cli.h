// Command-line parsing for the plughost binary: one table of flags (name, help, the commands
// that take it, the parser) drives both the parser (CLI11) and the usage text.
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
  Command help_for = Command::kServe;  // with kHelp: whose flags `--help` shows
  HostOptions host;
  std::string log_level = "info";
  std::string log_format = "text";
  ConformanceOptions conformance;  // for `plughost conformance`
};

// Reads an environment variable; empty when unset. Injectable for tests.
using EnvLookup = std::function<std::string(const char* name)>;
std::string ProcessEnv(const char* name);

// Parses argv (flags as "--flag value" or "--flag=value"). Errors name the flag at fault; a
// flag another subcommand takes is refused, naming the subcommand it belongs to.
absl::StatusOr<CliOptions> ParseCommandLine(int argc, const char* const* argv,
                                            const EnvLookup& env = ProcessEnv);

// The usage of every command (kServe/kHelp) or of one subcommand, generated from the table.
std::string UsageText(Command command = Command::kServe);

}  // namespace plughost
