#include "test/discovery/test_servers.h"

#include <grpcpp/alarm.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/impl/server_builder_option.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "dapr/proto/components/v1/bindings.grpc.pb.h"
#include "dapr/proto/components/v1/state.grpc.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "sdk/cpp/unix_socket_server.h"

namespace plughost::testing {
namespace {

namespace components = dapr::proto::components::v1;
namespace reflection_v1 = grpc::reflection::v1;

// Linking the reflection library registers its plugin for every server in the process; this
// option takes it back out, so one test binary can also run servers without reflection.
class WithoutReflectionPlugin final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->erase(std::remove_if(plugins->begin(), plugins->end(),
                                  [](const auto& plugin) {
                                    return plugin->name().find("reflection") != std::string::npos;
                                  }),
                   plugins->end());
  }
};

// Answers list_services the way a v1-only server (grpc-go's reflection.RegisterV1, newer
// grpc++) does; anything else gets an in-band UNIMPLEMENTED error.
class V1OnlyReflection final : public reflection_v1::ServerReflection::CallbackService {
 public:
  V1OnlyReflection(std::vector<std::string> services, std::chrono::milliseconds delay)
      : services_(std::move(services)), delay_(delay) {}

  grpc::ServerBidiReactor<reflection_v1::ServerReflectionRequest,
                          reflection_v1::ServerReflectionResponse>*
  ServerReflectionInfo(grpc::CallbackServerContext*) override {
    return new Reactor(services_, delay_);
  }

 private:
  class Reactor final : public grpc::ServerBidiReactor<reflection_v1::ServerReflectionRequest,
                                                       reflection_v1::ServerReflectionResponse> {
   public:
    Reactor(const std::vector<std::string>& services, std::chrono::milliseconds delay)
        : services_(services), delay_(delay) {
      StartRead(&request_);
    }
    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status::OK);
        return;
      }
      response_.Clear();
      if (request_.has_list_services()) {
        for (const auto& name : services_) {
          response_.mutable_list_services_response()->add_service()->set_name(name);
        }
      } else {
        response_.mutable_error_response()->set_error_code(
            static_cast<int>(grpc::StatusCode::UNIMPLEMENTED));
      }
      if (delay_.count() == 0) {
        StartWrite(&response_);
        return;
      }
      // A timer, not a sleep: the reaction must not block gRPC's thread.
      delay_alarm_.Set(std::chrono::system_clock::now() + delay_,
                       [this](bool) { StartWrite(&response_); });
    }
    void OnWriteDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status::CANCELLED);
        return;
      }
      StartRead(&request_);
    }
    void OnDone() override { delete this; }

   private:
    const std::vector<std::string>& services_;
    std::chrono::milliseconds delay_;
    grpc::Alarm delay_alarm_;
    reflection_v1::ServerReflectionRequest request_;
    reflection_v1::ServerReflectionResponse response_;
  };

  std::vector<std::string> services_;
  std::chrono::milliseconds delay_;
};

std::unique_ptr<grpc::Service> MakeService(const std::string& name) {
  if (name == kStateStore) return std::make_unique<components::StateStore::CallbackService>();
  if (name == kInputBinding) return std::make_unique<components::InputBinding::CallbackService>();
  if (name == kOutputBinding) {
    return std::make_unique<components::OutputBinding::CallbackService>();
  }
  if (name == kTransactionalStateStore) {
    return std::make_unique<components::TransactionalStateStore::CallbackService>();
  }
  throw std::invalid_argument("no test service named " + name);
}

sockaddr_un UnixAddress(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  return address;
}

int BoundSocket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un address = UnixAddress(path);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

TempDir::TempDir() {
  char pattern[] = "/tmp/phd-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

TestServer::TestServer(const std::string& socket_path, const std::vector<std::string>& services,
                       Reflection reflection) {
  // A real symbol reference, so --as-needed keeps the reflection library (and its plugin).
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  for (const auto& name : services) {
    services_.push_back(MakeService(name));
    builder.RegisterService(services_.back().get());
  }
  if (reflection != Reflection::kV1Alpha) {
    builder.SetOption(std::make_unique<WithoutReflectionPlugin>());
  }
  if (reflection == Reflection::kV1OnlyFake || reflection == Reflection::kV1OnlySlow) {
    std::vector<std::string> listed = services;
    listed.push_back("grpc.reflection.v1.ServerReflection");
    auto delay = std::chrono::milliseconds(reflection == Reflection::kV1OnlySlow ? 700 : 0);
    services_.push_back(std::make_unique<V1OnlyReflection>(std::move(listed), delay));
    builder.RegisterService(services_.back().get());
  }
  // Published only once whole: the watched folder is probed the moment a socket appears.
  auto started = sdk::StartOnUnixSocket(builder, socket_path);
  if (started.ok()) server_ = std::move(*started);
}

TestServer::~TestServer() {
  if (server_) server_->Shutdown(std::chrono::system_clock::now());
}

bool MakeDeadSocket(const std::string& path) {
  int fd = BoundSocket(path);
  if (fd < 0) return false;
  ::close(fd);  // the file stays; nobody will ever listen on it
  return true;
}

RawListener::RawListener(const std::string& path, Mode mode) {
  fd_ = BoundSocket(path);
  if (fd_ < 0) return;
  if (::listen(fd_, 16) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  if (mode == Mode::kGarbage) thread_ = std::thread([this] { ServeGarbage(); });
}

RawListener::~RawListener() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

void RawListener::ServeGarbage() {
  // Polls with a short timeout so the destructor can stop the thread without signals.
  while (!stop_) {
    pollfd listening{fd_, POLLIN, 0};
    if (::poll(&listening, 1, 20) <= 0) continue;
    int connection = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    // What an SSH daemon says first: a real-world listener that is not HTTP/2.
    static constexpr char kGarbage[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
    [[maybe_unused]] ssize_t written = ::write(connection, kGarbage, sizeof(kGarbage) - 1);
    // Hold the connection until the client gives up, so the failure comes from the bytes,
    // not from an early hang-up.
    char buffer[256];
    while (!stop_) {
      pollfd peer{connection, POLLIN, 0};
      if (::poll(&peer, 1, 20) <= 0) continue;
      if (::read(connection, buffer, sizeof(buffer)) <= 0) break;
    }
    ::close(connection);
  }
}

}  // namespace plughost::testing
