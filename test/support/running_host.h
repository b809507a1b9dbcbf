// Test support: the real plughost binary, started on a free port against a socket folder,
// with sample components started into that folder first.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "dapr/proto/runtime/v1/dapr.grpc.pb.h"
#include "spec/proto/runtime/v1/runtime.grpc.pb.h"
#include "test/support/process.h"

namespace plughost::testing {

// Starts the C++ sample component serving on `<dir>/<name>.sock`; waits until it accepts.
std::unique_ptr<ChildProcess> StartSampleComponent(const TempDir& dir, const std::string& name);

class RunningHost {
 public:
  // Starts plughost with `--sockets-dir dir --grpc-address 127.0.0.1:<free>` plus `extra_args`
  // and waits (up to 10 s) until it serves. Check started() before use.
  RunningHost(const TempDir& dir, const std::string& sockets_dir,
              const std::vector<std::string>& extra_args = {});

  bool started() const { return started_; }
  int port() const { return port_; }
  ChildProcess& process() { return *process_; }
  std::string Log() const { return process_->Log(); }

  dapr::proto::runtime::v1::Dapr::Stub& dapr() { return *dapr_; }
  spec::proto::runtime::v1::Runtime::Stub& layotto() { return *layotto_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }

 private:
  int port_;
  bool started_ = false;
  std::unique_ptr<ChildProcess> process_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<dapr::proto::runtime::v1::Dapr::Stub> dapr_;
  std::unique_ptr<spec::proto::runtime::v1::Runtime::Stub> layotto_;
};

// A client context with a 10 s deadline, so a broken host fails a test instead of hanging it.
std::unique_ptr<grpc::ClientContext> Deadline();

}  // namespace plughost::testing
