// Test support (MOSQUITTO_BIN): a real mosquitto broker on a free port of 127.0.0.1, anonymous,
// in memory only, owned by the test.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "test/support/process.h"

namespace plughost::testing {

class MosquittoBroker {
 public:
  explicit MosquittoBroker(const TempDir& dir) : dir_(dir), port_(FreeTcpPort()) { Start(); }

  bool Start() {
    static int starts = 0;
    std::string config = dir_.File("mosquitto.conf");
    WriteFile(config, "listener " + std::to_string(port_) +
                          " 127.0.0.1\nallow_anonymous true\npersistence false\n");
    process_ = ChildProcess::Spawn({RequiredEnv("MOSQUITTO_BIN"), "-c", config},
                                   dir_.File("mosquitto-" + std::to_string(++starts) + ".log"));
    started_ = WaitForPort(port_, std::chrono::seconds(10));
    return started_;
  }
  void Kill() { process_.reset(); }
  // SIGKILLs the broker (sessions and queued messages are gone) and starts one on the same port.
  bool Restart() {
    process_.reset();
    return Start();
  }

  bool started() const { return started_; }
  int port() const { return port_; }
  std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

 private:
  const TempDir& dir_;
  int port_;
  bool started_ = false;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace plughost::testing
