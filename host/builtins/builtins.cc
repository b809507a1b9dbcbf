#include "host/builtins/builtins.h"

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "host/builtins/cron_binding.h"
#include "host/builtins/hello_world.h"
#include "host/builtins/in_memory_configuration_store.h"
#include "host/builtins/local_env_secret_store.h"
#include "host/builtins/local_file_secret_store.h"
#include "host/builtins/local_storage_binding.h"
#include "host/builtins/in_memory_lock_store.h"
#include "host/builtins/in_memory_pubsub.h"
#include "host/builtins/in_memory_sequencer.h"
#include "host/builtins/in_memory_state_store.h"
#include "host/components/kind.h"
#include "host/registry/component_factory.h"

namespace plughost {
namespace {

// A factory for a built-in implementation `T` (default-constructible, derived from Component).
// Every built-in has the same shape, so adding one is one line in RegisterBuiltins.
template <typename T>
class BuiltinFactory final : public ComponentFactory {
 public:
  BuiltinFactory(ComponentKind kind, std::string_view impl)
      : kind_(kind), type_(MakeType(kind, impl)) {}

  ComponentKind kind() const override { return kind_; }
  const std::string& type() const override { return type_; }
  const std::string& source() const override { return source_; }
  std::shared_ptr<Component> Create(const std::string& /*instance_name*/) const override {
    return std::make_shared<T>();
  }

 private:
  ComponentKind kind_;
  std::string type_;
  std::string source_ = "built-in";
};

template <typename T>
std::unique_ptr<ComponentFactory> Builtin(ComponentKind kind, std::string_view impl) {
  return std::make_unique<BuiltinFactory<T>>(kind, impl);
}

}  // namespace

absl::Status RegisterBuiltins(FactoryRegistry::Builder& builder) {
  std::unique_ptr<ComponentFactory> factories[] = {
      Builtin<InMemoryStateStore>(ComponentKind::kState, "in-memory"),
      Builtin<InMemoryPubSub>(ComponentKind::kPubSub, "in-memory"),
      Builtin<HelloWorld>(ComponentKind::kHello, "helloworld"),
      Builtin<CronBinding>(ComponentKind::kInputBinding, "cron"),
      Builtin<LocalStorageBinding>(ComponentKind::kOutputBinding, "localstorage"),
      Builtin<InMemoryLockStore>(ComponentKind::kLock, "in-memory"),
      Builtin<InMemorySequencer>(ComponentKind::kSequencer, "in-memory"),
      Builtin<LocalEnvSecretStore>(ComponentKind::kSecretStore, "local.env"),
      Builtin<LocalFileSecretStore>(ComponentKind::kSecretStore, "local.file"),
      Builtin<InMemoryConfigurationStore>(ComponentKind::kConfiguration, "in-memory"),
  };
  for (std::unique_ptr<ComponentFactory>& factory : factories) {
    absl::Status status = builder.Register(std::move(factory));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace plughost
