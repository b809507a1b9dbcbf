// Test support (REDIS_SERVER_BIN, REDIS_CLI_BIN): a real redis-server on a free port, in memory
// only, owned by the test; and redis-cli against it.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "test/support/process.h"

namespace plughost::testing {

class RedisServer {
 public:
  explicit RedisServer(const TempDir& dir) : dir_(dir), port_(FreeTcpPort()) { Start(); }

  bool Start() {
    static int starts = 0;
    process_ =
        ChildProcess::Spawn({RequiredEnv("REDIS_SERVER_BIN"), "--port", std::to_string(port_),
                             "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"},
                            dir_.File("redis-" + std::to_string(++starts) + ".log"));
    started_ = WaitForPort(port_, std::chrono::seconds(10));
    return started_;
  }
  // SIGKILLs the server (its data is gone) and starts a new one on the same port.
  bool Restart() {
    process_.reset();
    return Start();
  }
  void Kill() { process_.reset(); }

  bool started() const { return started_; }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // redis-cli's output (raw, one reply element a line) for `args`.
  std::string Cli(const std::vector<std::string>& args) const {
    static int runs = 0;
    std::vector<std::string> argv = {RequiredEnv("REDIS_CLI_BIN"), "-p", std::to_string(port_),
                                     "--raw"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto process = ChildProcess::Spawn(argv, dir_.File("cli-" + std::to_string(++runs) + ".log"));
    process->WaitExit(std::chrono::seconds(10));
    return process->Log();
  }

 private:
  const TempDir& dir_;
  int port_;
  bool started_ = false;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace plughost::testing
