// Starting one child process for the process supervisor: placeholders, environment, and a
// fork/exec that ties the child to the host (parent-death signal, own process group, pipes for
// its output, signals unblocked).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sockets_folder.h"
#include "host/config/host_config.h"

namespace plughost {

// `text` with every "{socket}" replaced by `socket` and "{sockets_dir}" by `sockets_dir`; other
// braces are kept as they are.
std::string ExpandPlaceholders(std::string_view text, std::string_view socket,
                               std::string_view sockets_dir);

// What a child is started with, all placeholders expanded.
struct LaunchPlan {
  std::string program;  // the file to execute: command[0] resolved against PATH when bare
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "NAME=value"
  std::string workdir;           // empty: the host's
};

// The host's environment, then the socket-folder variables, then the spec's env (which wins).
// `sockets_dir` should be absolute so a child with its own workdir still finds it.
LaunchPlan PlanLaunch(const ProcessSpec& spec, const std::string& sockets_dir);

// The socket path the host expects a declared process to serve on.
std::string ProcessSocketPath(const std::string& sockets_dir, const std::string& name);

struct Child {
  pid_t pid = -1;
  int stdout_fd = -1;  // read ends, non-blocking, close-on-exec
  int stderr_fd = -1;
};

// Forks and execs `plan`. The child gets its own process group (so a terminal's Ctrl-C reaches
// the host, which stops children in its own order), SIGKILL when the forking thread dies (so no
// child outlives a killed host; call it from a thread that lives as long as the children), all
// signals unblocked and at their default action, stdin from /dev/null, and no other descriptor
// of the host. An error when the child could not be created or the exec failed (the failed
// child is reaped here).
absl::StatusOr<Child> SpawnChild(const LaunchPlan& plan);

// Removes `path` if it is a Unix socket nobody listens on (what a killed child leaves behind);
// true when it removed it.
bool RemoveStaleSocket(const std::string& path);

// True when a server accepts connections on the Unix socket `path`.
bool SocketAcceptsConnections(const std::string& path);

}  // namespace plughost
