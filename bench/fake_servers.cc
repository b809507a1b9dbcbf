#include "bench/fake_servers.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "dapr/proto/components/v1/state.grpc.pb.h"
#include "dapr/proto/runtime/v1/dapr.grpc.pb.h"

namespace plughost::bench {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
namespace statepb = ::dapr::proto::components::v1;

// Values are built once per size and then only copied, as a store would copy a stored value.
class ValueCache {
 public:
  const std::string& ForKey(const std::string& key) {
    size_t size = 0;
    if (auto dash = key.rfind('-'); dash != std::string::npos) {
      size = std::strtoul(key.c_str() + dash + 1, nullptr, 10);
    }
    size = std::min<size_t>(size, 4 << 20);
    std::lock_guard lock(mutex_);
    auto [it, inserted] = values_.try_emplace(size);
    if (inserted) it->second.assign(size, 'v');
    return it->second;
  }

 private:
  std::mutex mutex_;
  std::map<size_t, std::string> values_;  // node-based: references stay valid
};

class EchoDapr final : public rt::Dapr::CallbackService {
 public:
  explicit EchoDapr(ValueCache* values) : values_(values) {}

  grpc::ServerUnaryReactor* GetState(grpc::CallbackServerContext* context,
                                     const rt::GetStateRequest* request,
                                     rt::GetStateResponse* response) override {
    auto* reactor = context->DefaultReactor();
    try {
      response->set_data(values_->ForKey(request->key()));
      response->set_etag("1");
      reactor->Finish(grpc::Status::OK);
    } catch (...) {  // an escaping exception would leave the caller waiting for its deadline
      reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "echo failed"));
    }
    return reactor;
  }

 private:
  ValueCache* values_;
};

// Enough of a state store for a host to discover it, Init it, ping it and read from it.
class EchoStateStore final : public statepb::StateStore::CallbackService {
 public:
  explicit EchoStateStore(ValueCache* values) : values_(values) {}

  grpc::ServerUnaryReactor* Init(grpc::CallbackServerContext* context, const statepb::InitRequest*,
                                 statepb::InitResponse*) override {
    return Ok(context);
  }
  grpc::ServerUnaryReactor* Features(grpc::CallbackServerContext* context,
                                     const statepb::FeaturesRequest*,
                                     statepb::FeaturesResponse*) override {
    return Ok(context);
  }
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context, const statepb::PingRequest*,
                                 statepb::PingResponse*) override {
    return Ok(context);
  }
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context,
                                const statepb::GetRequest* request,
                                statepb::GetResponse* response) override {
    auto* reactor = context->DefaultReactor();
    try {
      response->set_data(values_->ForKey(request->key()));
      response->mutable_etag()->set_value("1");
      reactor->Finish(grpc::Status::OK);
    } catch (...) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "echo failed"));
    }
    return reactor;
  }

 private:
  static grpc::ServerUnaryReactor* Ok(grpc::CallbackServerContext* context) {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  ValueCache* values_;
};

// One forwarded call: read the request bytes, make the same call on the target, write its
// answer back. Deletes itself when gRPC is done with it.
class ForwardingReactor final : public grpc::ServerGenericBidiReactor {
 public:
  ForwardingReactor(grpc::GenericCallbackServerContext* context, grpc::GenericStub* stub)
      : context_(context), stub_(stub) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INTERNAL, "proxy: no request"));
      return;
    }
    upstream_.set_deadline(context_->deadline());
    stub_->UnaryCall(&upstream_, context_->method(), grpc::StubOptions(), &request_, &response_,
                     [this](const grpc::Status& status) {
                       if (status.ok()) {
                         StartWriteAndFinish(&response_, grpc::WriteOptions(), status);
                       } else {
                         Finish(status);
                       }
                     });
  }

  void OnDone() override { delete this; }

 private:
  grpc::GenericCallbackServerContext* context_;
  grpc::GenericStub* stub_;
  grpc::ClientContext upstream_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

class ForwardingService final : public grpc::CallbackGenericService {
 public:
  explicit ForwardingService(const std::string& target)
      : stub_(grpc::CreateChannel(target, grpc::InsecureChannelCredentials())) {}

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new ForwardingReactor(context, &stub_);
  }

 private:
  grpc::GenericStub stub_;
};

// Makes a socket file at `path` and returns its fd, or -1. With `listen_backlog` < 0 the fd
// is closed at once: the file stays behind with nobody listening (connect: ECONNREFUSED).
int MakeUnixSocket(const std::string& path, int listen_backlog) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return -1;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  ::unlink(path.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  if (listen_backlog < 0) {
    ::close(fd);
    return 0;
  }
  if (::listen(fd, listen_backlog) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string Numbered(const char* stem, int index) {
  char name[32];
  std::snprintf(name, sizeof(name), "%s-%02d.sock", stem, index);
  return name;
}

}  // namespace

sigset_t BlockTermination() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

void WaitForTermination(const sigset_t& signals) {
  int signal_number = 0;
  sigwait(&signals, &signal_number);
}

void RemoveUnixSocketFile(const std::string& address) {
  if (address.rfind("unix:", 0) == 0) ::unlink(address.c_str() + 5);
}

std::string GoodSocketName(int index) { return Numbered("good", index); }
std::string DeadSocketName(int index) { return Numbered("dead", index); }
std::string HungSocketName(int index) { return Numbered("hung", index); }

int ServeEcho(const std::vector<std::string>& addresses) {
  sigset_t signals = BlockTermination();
  ValueCache values;
  EchoDapr dapr(&values);
  EchoStateStore store(&values);
  grpc::ServerBuilder builder;
  for (const auto& address : addresses) {
    builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  }
  builder.RegisterService(&dapr);
  builder.RegisterService(&store);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "echo: cannot listen on the given addresses\n");
    return 1;
  }
  std::fprintf(stderr, "echo: serving\n");
  WaitForTermination(signals);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  for (const auto& address : addresses) RemoveUnixSocketFile(address);
  return 0;
}

int ServeProxy(const std::string& listen, const std::string& target) {
  sigset_t signals = BlockTermination();
  ForwardingService forwarding(target);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials());
  builder.RegisterCallbackGenericService(&forwarding);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "proxy: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::fprintf(stderr, "proxy: forwarding %s to %s\n", listen.c_str(), target.c_str());
  WaitForTermination(signals);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  RemoveUnixSocketFile(listen);
  return 0;
}

int ServeDiscoveryFolder(const std::string& dir, int good, int dead, int hung) {
  sigset_t signals = BlockTermination();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  ValueCache values;
  // One server per socket, as 85 separate component processes would have; a service object
  // can belong to one server only.
  std::vector<std::unique_ptr<EchoStateStore>> services;
  std::vector<std::unique_ptr<grpc::Server>> servers;
  for (int i = 0; i < good; ++i) {
    services.push_back(std::make_unique<EchoStateStore>(&values));
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + dir + "/" + GoodSocketName(i),
                             grpc::InsecureServerCredentials());
    builder.RegisterService(services.back().get());
    servers.push_back(builder.BuildAndStart());
    if (!servers.back()) {
      std::fprintf(stderr, "discovery folder: cannot serve %s\n", GoodSocketName(i).c_str());
      return 1;
    }
  }
  for (int i = 0; i < dead; ++i) {
    if (MakeUnixSocket(dir + "/" + DeadSocketName(i), -1) < 0) {
      std::fprintf(stderr, "discovery folder: cannot make %s\n", DeadSocketName(i).c_str());
      return 1;
    }
  }
  std::vector<int> hung_fds;
  for (int i = 0; i < hung; ++i) {
    // A long backlog: every probe's connect() lands in it and is never accepted, across
    // repeated runs against the same folder.
    int fd = MakeUnixSocket(dir + "/" + HungSocketName(i), 4096);
    if (fd < 0) {
      std::fprintf(stderr, "discovery folder: cannot make %s\n", HungSocketName(i).c_str());
      return 1;
    }
    hung_fds.push_back(fd);
  }
  std::fprintf(stderr, "discovery folder: %d good, %d dead, %d hung in %s\n", good, dead, hung,
               dir.c_str());
  WaitForTermination(signals);
  for (auto& server : servers) {
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
  }
  for (int fd : hung_fds) ::close(fd);
  return 0;
}

}  // namespace plughost::bench
