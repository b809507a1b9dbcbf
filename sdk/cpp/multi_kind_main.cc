#include "sdk/cpp/multi_kind_main.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>
#include <sstream>

#include "common/startup_pages.h"
#include "sdk/cpp/socket_folder.h"
#include "sdk/cpp/termination_signals.h"

namespace plughost::sdk {
namespace {

int Usage(const MultiKindProgram& program, const char* error) {
  if (error != nullptr) std::fprintf(stderr, "%s: %s\n", program.name.c_str(), error);
  std::string kinds;
  for (const auto& kind : program.kinds) kinds += (kinds.empty() ? "" : ", ") + kind;
  std::fprintf(error != nullptr ? stderr : stdout,
               "usage: %s [--sockets-dir DIR] [--prefix NAME] [--kinds K1,K2,...]\n"
               "serves <prefix>-<kind>.sock in DIR for each kind (default: every kind of "
               "%s; prefix %s)\n",
               program.name.c_str(), kinds.c_str(), program.default_prefix.c_str());
  return error != nullptr ? 2 : 0;
}

}  // namespace

int RunMultiKindProgram(const MultiKindProgram& program, int argc, char** argv) {
  const char* name = program.name.c_str();
  if (auto installed = InstallTerminationHandlers(); !installed.ok()) {
    std::fprintf(stderr, "%s: %s\n", name, std::string(installed.message()).c_str());
    return 1;
  }
  std::string folder = ComponentSocketFolder();
  std::string prefix = program.default_prefix;
  std::set<std::string> kinds(program.kinds.begin(), program.kinds.end());
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* flag) -> const char* {
      std::string with_equals = std::string(flag) + "=";
      if (arg.rfind(with_equals, 0) == 0) return argv[i] + with_equals.size();
      if (arg == flag && i + 1 < argc) return argv[++i];
      return nullptr;
    };
    if (arg == "--help" || arg == "-h") return Usage(program, nullptr);
    if (const char* dir = value("--sockets-dir")) {
      folder = dir;
    } else if (const char* given = value("--prefix")) {
      prefix = given;
    } else if (const char* list = value("--kinds")) {
      kinds.clear();
      std::istringstream in(list);
      for (std::string kind; std::getline(in, kind, ',');) {
        if (std::find(program.kinds.begin(), program.kinds.end(), kind) == program.kinds.end()) {
          return Usage(program, ("unknown kind '" + kind + "'").c_str());
        }
        kinds.insert(kind);
      }
    } else {
      return Usage(program, ("unknown argument '" + arg + "'").c_str());
    }
  }

  std::vector<std::unique_ptr<ComponentServer>> servers;
  for (const std::string& kind : kinds) {
    std::string socket_name = prefix;
    socket_name.append("-").append(kind);
    auto server = std::make_unique<ComponentServer>(socket_name);
    program.add_kind(*server, kind);
    std::string socket = folder;
    socket.append("/").append(socket_name).append(".sock");
    if (auto started = server->Start(socket); !started.ok()) {
      std::fprintf(stderr, "%s: %s: %s\n", name, socket.c_str(),
                   std::string(started.message()).c_str());
      return 1;
    }
    std::fprintf(stderr, "%s: serving %s on %s\n", name, kind.c_str(), socket.c_str());
    servers.push_back(std::move(server));
  }
  ReleaseStartupPages();  // what start-up alone ran goes back (common/startup_pages.h)
  int signal_number = WaitForTermination();
  std::fprintf(stderr, "%s: stopping on signal %d\n", name, signal_number);
  for (auto& server : servers) server->Shutdown();
  return 0;
}

}  // namespace plughost::sdk
