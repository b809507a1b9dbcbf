// The command line every SDK component shares: [--socket PATH] [--name NAME] [--help].
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace plughost::sdk {

struct CommandLine {
  std::string socket_path;  // from --socket, else <socket folder>/<name>.sock
  std::string name;         // from --name, else the component's default name
  bool help = false;
};

// Accepts "--flag value" and "--flag=value". INVALID_ARGUMENT names the bad argument.
absl::StatusOr<CommandLine> ParseCommandLine(int argc, const char* const* argv,
                                             const std::string& default_name);

// The usage text, naming the program and its default name.
std::string Usage(const std::string& program, const std::string& default_name);

}  // namespace plughost::sdk
