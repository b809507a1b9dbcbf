#include "wrappers/pluggable_factories.h"

#include <functional>
#include <map>

#include "host/common/log.h"
#include "wrappers/bindings/grpc_input_binding.h"
#include "wrappers/bindings/grpc_output_binding.h"
#include "wrappers/configuration/grpc_configuration_store.h"
#include "wrappers/hello/grpc_hello.h"
#include "wrappers/lock/grpc_lock_store.h"
#include "wrappers/pubsub/grpc_pubsub.h"
#include "wrappers/secretstore/grpc_secret_store.h"
#include "wrappers/sequencer/grpc_sequencer.h"
#include "wrappers/state/grpc_state_store.h"

namespace plughost {
namespace {

using MakeWrapper =
    std::function<std::shared_ptr<Component>(const std::string& socket, const std::string& name)>;

template <typename Wrapper>
MakeWrapper Make() {
  return [](const std::string& socket, const std::string& name) {
    return std::make_shared<Wrapper>(socket, name);
  };
}

// Every adapter, by the kind it serves. Adding a kind = one line here plus wrappers/<kind>/.
const std::map<ComponentKind, MakeWrapper>& Adapters() {
  static const auto* adapters = new std::map<ComponentKind, MakeWrapper>{
      {ComponentKind::kState, Make<GrpcStateStore>()},
      {ComponentKind::kPubSub, Make<GrpcPubSub>()},
      {ComponentKind::kHello, Make<GrpcHello>()},
      {ComponentKind::kInputBinding, Make<GrpcInputBinding>()},
      {ComponentKind::kOutputBinding, Make<GrpcOutputBinding>()},
      {ComponentKind::kLock, Make<GrpcLockStore>()},
      {ComponentKind::kSequencer, Make<GrpcSequencer>()},
      {ComponentKind::kSecretStore, Make<GrpcSecretStore>()},
      {ComponentKind::kConfiguration, Make<GrpcConfigurationStore>()},
  };
  return *adapters;
}

// A factory for one kind served by one socket; instances share nothing but the socket path.
class SocketFactory : public ComponentFactory {
 public:
  SocketFactory(ComponentKind kind, std::string type, std::string socket, MakeWrapper make)
      : kind_(kind),
        type_(std::move(type)),
        source_("socket " + socket),
        socket_(std::move(socket)),
        make_(std::move(make)) {}

  ComponentKind kind() const override { return kind_; }
  const std::string& type() const override { return type_; }
  const std::string& source() const override { return source_; }
  std::string socket_path() const override { return socket_; }
  std::shared_ptr<Component> Create(const std::string& instance_name) const override {
    return make_(socket_, instance_name);
  }

 private:
  ComponentKind kind_;
  std::string type_;
  std::string source_;
  std::string socket_;
  MakeWrapper make_;
};

}  // namespace

std::vector<std::unique_ptr<ComponentFactory>> MakeSocketFactories(const DiscoveredSocket& socket) {
  std::vector<std::unique_ptr<ComponentFactory>> factories;
  for (ComponentKind kind : socket.kinds) {
    auto adapter = Adapters().find(kind);
    if (adapter == Adapters().end()) {
      PH_LOG_WARN("registry", "{}: {} components are not supported yet; skipped", socket.path,
                  KindDisplayName(kind));
      continue;
    }
    factories.push_back(std::make_unique<SocketFactory>(kind, MakeType(kind, socket.name),
                                                        socket.path, adapter->second));
  }
  return factories;
}

absl::Status RegisterDiscovered(FactoryRegistry::Builder& builder,
                                const std::vector<DiscoveredSocket>& sockets) {
  for (const auto& socket : sockets) {
    for (auto& factory : MakeSocketFactories(socket)) {
      if (auto status = builder.Register(std::move(factory)); !status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace plughost
