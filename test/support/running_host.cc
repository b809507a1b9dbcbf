#include "test/support/running_host.h"

#include <cstdio>

namespace plughost::testing {

std::unique_ptr<ChildProcess> StartSampleComponent(const TempDir& dir, const std::string& name) {
  std::string socket = dir.File(name + ".sock");
  auto process = ChildProcess::Spawn({RequiredEnv("SAMPLE_COMPONENT_BIN"), "--socket", socket},
                                     dir.File(name + ".log"));
  // The limit only bounds a broken run (a loaded CI machine can take seconds to start one).
  if (WaitForSocket(socket, std::chrono::seconds(30))) return process;
  std::optional<int> exit_code = process->WaitExit(std::chrono::milliseconds(0));
  std::fprintf(stderr, "sample component %s did not serve %s within 30 s (%s); its log:\n%s\n",
               name.c_str(), socket.c_str(),
               exit_code ? ("exited with " + std::to_string(*exit_code)).c_str() : "still running",
               process->Log().c_str());
  return nullptr;
}

RunningHost::RunningHost(const TempDir& dir, const std::string& sockets_dir,
                         const std::vector<std::string>& extra_args)
    : port_(FreeTcpPort()) {
  std::vector<std::string> argv = {
      RequiredEnv("PLUGHOST_BIN"), "--sockets-dir", sockets_dir, "--grpc-address",
      "127.0.0.1:" + std::to_string(port_),
      // Tests run hosts side by side; a shared default port would clash.
      "--ops-address", "off"};
  bool http_given = false;
  for (const auto& arg : extra_args) http_given = http_given || arg.rfind("--http-address", 0) == 0;
  if (!http_given) argv.insert(argv.end(), {"--http-address", "off"});  // 3500 would clash too
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = ChildProcess::Spawn(argv, dir.File("host.log"));
  started_ = WaitForPort(port_, std::chrono::seconds(10));
  channel_ =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials());
  dapr_ = dapr::proto::runtime::v1::Dapr::NewStub(channel_);
  layotto_ = spec::proto::runtime::v1::Runtime::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> Deadline() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

}  // namespace plughost::testing
