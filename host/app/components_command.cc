#include "host/app/components_command.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <vector>

#include "host/components/kind.h"
#include "host/config/host_config.h"
#include "host/discovery/discovery.h"

namespace plughost {
namespace {

using Row = std::array<std::string, 4>;  // socket, kinds, types, status

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// Every column as wide as its widest cell, so a long socket path never shifts the rest.
void PrintTable(const std::vector<Row>& rows, std::FILE* out) {
  std::array<size_t, 4> widths{};
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line = fmt::format("{:<{}}  {:<{}}  {:<{}}  {}", row[0], widths[0], row[1],
                                   widths[1], row[2], widths[2], row[3]);
    std::fprintf(out, "%s\n", line.c_str());
  }
}

}  // namespace

int RunComponentsCommand(const CliOptions& options, std::FILE* out) {
  const std::string& folder = options.host.sockets_dir;
  // The host's own checks first: say what the host would do with this folder.
  struct stat st {};
  if (::stat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    std::fprintf(out,
                 "socket folder %s does not exist (or is no folder): the host would serve its "
                 "built-in components only. Check --sockets-dir and the socket folder variables "
                 "(plughost components --help).\n",
                 folder.c_str());
    return 1;
  }
  if ((st.st_mode & S_IWOTH) && !options.host.allow_insecure_sockets_dir) {
    std::fprintf(out,
                 "socket folder %s is writable by every user (mode %04o): the host would refuse "
                 "to start (exit 2). Fix: chmod o-w %s, or pass --allow-insecure-sockets-dir\n",
                 folder.c_str(), static_cast<unsigned>(st.st_mode & 07777), folder.c_str());
    return 2;
  }
  // With --config, sockets of declared processes say so, and those not serving are listed too.
  std::set<std::string> processes;
  if (!options.host.config_path.empty()) {
    auto config = LoadHostConfig(options.host.config_path);
    if (!config.ok()) {
      std::fprintf(stderr, "plughost: %s\n", std::string(config.status().message()).c_str());
      return 2;
    }
    for (const auto& process : config->processes) processes.insert(process.name);
  }
  DiscoveryOptions discovery;
  discovery.folder = folder;
  discovery.probe_timeout = options.host.probe_timeout;
  discovery.log = false;
  auto result = DiscoverComponents(discovery);
  std::fprintf(out, "socket folder %s (scanned in %lld ms): the host would serve %zu socket(s)\n",
               folder.c_str(), static_cast<long long>(result.elapsed.count()),
               result.components.size());
  std::vector<Row> rows = {{"SOCKET", "KINDS", "TYPES", "STATUS"}};
  for (const auto& socket : result.components) {
    std::vector<std::string> kinds, types;
    for (auto kind : socket.kinds) {
      kinds.emplace_back(KindPrefix(kind));
      types.push_back(MakeType(kind, socket.name));
    }
    std::string launched = processes.erase(socket.name)
                               ? " (process '" + socket.name + "', launched by the host)"
                               : "";
    rows.push_back({socket.path, Joined(kinds), Joined(types),
                    "ok" + launched + ": " + Joined(socket.services)});
  }
  for (const auto& name : processes) {
    rows.push_back({fmt::format("{}/{}.sock", folder, name), "-", "-",
                    fmt::format("not serving: process '{}' is launched by a running host", name)});
  }
  for (const auto& skipped : result.skipped) {
    rows.push_back({skipped.path, "-", "-", "skipped: " + skipped.reason});
  }
  PrintTable(rows, out);
  return 0;
}

}  // namespace plughost
