#include "sdk/cpp/component_server.h"

#include <cstdio>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "common/startup_pages.h"
#include "sdk/cpp/command_line.h"
#include "sdk/cpp/termination_signals.h"
#include "sdk/cpp/unix_socket_server.h"

namespace plughost::sdk {
namespace {

std::string Join(const std::vector<std::string>& parts, const char* separator) {
  std::string joined;
  for (const std::string& part : parts) {
    if (!joined.empty()) joined += separator;
    joined += part;
  }
  return joined;
}

std::string BaseName(const char* path) {
  std::string text = path != nullptr ? path : "component";
  size_t slash = text.find_last_of('/');
  return slash == std::string::npos ? text : text.substr(slash + 1);
}

}  // namespace

ComponentServer::ComponentServer(std::string name) : name_(std::move(name)) {}

ComponentServer::~ComponentServer() { Shutdown(); }

void ComponentServer::AddService(grpc::Service* service, std::string full_name) {
  services_.push_back(service);
  service_names_.push_back(std::move(full_name));
}

void ComponentServer::AddServices(std::vector<NamedService> services) {
  for (NamedService& named : services) {
    AddService(named.service.get(), std::move(named.name));
    owned_services_.push_back(std::move(named.service));
  }
}

absl::Status ComponentServer::Start(const std::string& socket_path) {
  if (server_ != nullptr) return absl::FailedPreconditionError("server already started");
  // gRPC refuses a service registered twice only by failing the whole start, vaguely.
  for (size_t i = 0; i < service_names_.size(); ++i) {
    for (size_t j = i + 1; j < service_names_.size(); ++j) {
      if (service_names_[i] == service_names_[j]) {
        return absl::InvalidArgumentError("service " + service_names_[i] + " added twice");
      }
    }
  }
  absl::StatusOr<std::unique_ptr<SocketGuard>> guard = SocketGuard::Claim(socket_path);
  if (!guard.ok()) return guard.status();

  // Hosts find services by reflection. Calling the plugin's initialiser is what keeps the
  // linker's --as-needed from dropping the reflection library (the server would then answer
  // UNIMPLEMENTED to every discovery probe).
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  for (grpc::Service* service : services_) builder.RegisterService(service);
  absl::StatusOr<std::unique_ptr<grpc::Server>> started = StartOnUnixSocket(builder, socket_path);
  if (!started.ok()) return started.status();
  std::unique_ptr<grpc::Server> server = std::move(*started);
  if (absl::Status bound = (*guard)->MarkBound(); !bound.ok()) {
    server->Shutdown(std::chrono::system_clock::now() + shutdown_grace_);
    server->Wait();
    return bound;
  }
  guard_ = std::move(*guard);
  server_ = std::move(server);
  return absl::OkStatus();
}

void ComponentServer::Shutdown() {
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + shutdown_grace_);
    server_->Wait();
    server_.reset();
  }
  guard_.reset();  // removes the socket, then the lock file
}

int ComponentServer::RunMain(int argc, char** argv) {
  const std::string prefix = name_ + ": ";
  // First, so that a signal during start-up already takes the clean path.
  if (absl::Status installed = InstallTerminationHandlers(); !installed.ok()) {
    std::fprintf(stderr, "%s%s\n", prefix.c_str(), std::string(installed.message()).c_str());
    return 1;
  }
  const std::string program = BaseName(argc > 0 ? argv[0] : nullptr);
  absl::StatusOr<CommandLine> line = ParseCommandLine(argc, argv, name_);
  if (!line.ok()) {
    std::fprintf(stderr, "%s%s\n%s", prefix.c_str(), std::string(line.status().message()).c_str(),
                 Usage(program, name_).c_str());
    return 2;
  }
  if (line->help) {
    std::fputs(Usage(program, name_).c_str(), stdout);
    return 0;
  }
  if (absl::Status started = Start(line->socket_path); !started.ok()) {
    std::fprintf(stderr, "%s%s\n", prefix.c_str(), std::string(started.message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "%sserving %s on %s\n", prefix.c_str(), Join(service_names_, ", ").c_str(),
               line->socket_path.c_str());
  ReleaseStartupPages();  // what start-up alone ran goes back (common/startup_pages.h)
  int signal_number = WaitForTermination();
  std::fprintf(stderr, "%sstopping on signal %d\n", prefix.c_str(), signal_number);
  Shutdown();
  return 0;
}

}  // namespace plughost::sdk
