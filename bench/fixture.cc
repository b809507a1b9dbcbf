#include "bench/fixture.h"

#include <cstdlib>

namespace plughost::bench {
namespace {

// Generous: other jobs may be compiling on the same two cores.
constexpr auto kStartTimeout = std::chrono::seconds(20);

}  // namespace

const char* TransportName(Transport transport) {
  return transport == Transport::kUnix ? "unix" : "tcp";
}

bool Fixture::WaitReady(ChildProcess* process, const std::string& target, const std::string& what) {
  bool ready = target.rfind("unix:", 0) == 0
                   ? WaitForUnixSocket(target.substr(5), kStartTimeout, process)
                   : WaitForTcpPort(std::atoi(target.substr(target.rfind(':') + 1).c_str()),
                                    kStartTimeout, process);
  if (!ready) {
    error_ = what + " did not start serving on " + target + "; its log:\n" + process->LogTail();
  }
  return ready;
}

std::unique_ptr<ChildProcess> Fixture::StartSample(const std::string& socket_path) {
  std::string name = socket_path.substr(socket_path.rfind('/') + 1);
  auto process = ChildProcess::Spawn({binaries_.sample, "--socket", socket_path},
                                     dir_->File("sample-" + name + ".log"), &error_);
  if (!process || !WaitReady(process.get(), "unix:" + socket_path, "the sample component")) {
    return nullptr;
  }
  return process;
}

Served Fixture::StartHost(const std::string& label, const std::string& sockets_dir,
                          Transport transport, const std::vector<std::string>& extra_args) {
  Served served;
  if (transport == Transport::kUnix) {
    served.target = "unix:" + dir_->File(label + ".sock");
  } else {
    served.target = "127.0.0.1:" + std::to_string(FreeTcpPort());
  }
  std::vector<std::string> argv = {binaries_.plughost, "--sockets-dir", sockets_dir,
                                   "--grpc-address", served.target};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  served.process = ChildProcess::Spawn(argv, dir_->File(label + ".log"), &error_);
  if (served.process && !WaitReady(served.process.get(), served.target, "plughost")) {
    served.process.reset();
  }
  return served;
}

Served Fixture::StartEcho(const std::vector<std::string>& addresses) {
  Served served;
  std::vector<std::string> argv = {binaries_.self, "--serve-echo"};
  argv.insert(argv.end(), addresses.begin(), addresses.end());
  served.process = ChildProcess::Spawn(argv, dir_->File("echo.log"), &error_);
  if (!served.process) return served;
  for (const auto& address : addresses) {
    if (!WaitReady(served.process.get(), address, "the echo server")) {
      served.process.reset();
      return served;
    }
  }
  served.target = addresses.front();
  return served;
}

Served Fixture::StartProxy(const std::string& listen, const std::string& target, ProxyKind kind) {
  const char* flag = "--serve-proxy";
  const char* log = "proxy.log";
  if (kind == ProxyKind::kNghttp2) {
    flag = "--serve-proxy-h2";
    log = "proxy-h2.log";
  } else if (kind == ProxyKind::kCompletionQueue) {
    flag = "--serve-proxy-cq";
    log = "proxy-cq.log";
  }
  Served served;
  served.process =
      ChildProcess::Spawn({binaries_.self, flag, listen, target}, dir_->File(log), &error_);
  if (served.process && !WaitReady(served.process.get(), listen, "the forwarding proxy")) {
    served.process.reset();
  }
  served.target = listen;
  return served;
}

Served Fixture::StartGoHop(const std::string& listen, const std::string& component_socket,
                           const std::string& store) {
  Served served;
  served.process = ChildProcess::Spawn(
      {binaries_.gohop, "--listen", listen, "--component", component_socket, "--store", store},
      dir_->File("gohop.log"), &error_);
  if (served.process && !WaitReady(served.process.get(), listen, "the grpc-go hop")) {
    served.process.reset();
  }
  served.target = listen;
  return served;
}

}  // namespace plughost::bench
