#include "sdk/cpp/command_line.h"

#include <string_view>

#include "sdk/cpp/socket_folder.h"

namespace plughost::sdk {

absl::StatusOr<CommandLine> ParseCommandLine(int argc, const char* const* argv,
                                             const std::string& default_name) {
  CommandLine line;
  line.name = default_name;
  std::string socket;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      line.help = true;
      continue;
    }
    std::string_view flag = arg.substr(0, arg.find('='));
    std::string* target = nullptr;
    if (flag == "--socket") target = &socket;
    if (flag == "--name") target = &line.name;
    if (target == nullptr) {
      return absl::InvalidArgumentError("unknown argument " + std::string(arg));
    }
    if (flag.size() < arg.size()) {
      *target = std::string(arg.substr(flag.size() + 1));
    } else if (i + 1 < argc) {
      *target = argv[++i];
    } else {
      return absl::InvalidArgumentError(std::string(flag) + " needs a value");
    }
    if (target->empty()) {
      return absl::InvalidArgumentError(std::string(flag) + " must not be empty");
    }
  }
  if (line.name.find('/') != std::string::npos) {
    return absl::InvalidArgumentError("--name must not contain '/'");
  }
  line.socket_path = socket.empty() ? DefaultSocketPath(line.name) : socket;
  return line;
}

std::string Usage(const std::string& program, const std::string& default_name) {
  return "usage: " + program +
         " [--socket PATH] [--name NAME]\n"
         "  --socket PATH  listen on PATH (default: <folder>/<name>.sock, folder from\n"
         "                 PLUGHOST_SOCKETS_DIR, DAPR_COMPONENTS_SOCKETS_FOLDER,\n"
         "                 DAPR_COMPONENT_SOCKETS_FOLDER, or /tmp/dapr-components-sockets)\n"
         "  --name NAME    component name, i.e. the socket file's stem (default: " +
         default_name + ")\n";
}

}  // namespace plughost::sdk
