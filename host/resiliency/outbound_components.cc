#include "host/resiliency/outbound_components.h"

#include <utility>
#include <vector>

#include "host/components/bindings.h"
#include "host/components/configuration_store.h"
#include "host/components/lock_store.h"
#include "host/components/pubsub.h"
#include "host/components/secret_store.h"
#include "host/components/state_errors.h"
#include "host/components/state_store.h"
#include "host/resiliency/outbound_policy.h"

namespace plughost {
namespace {

bool NeverPermanent(const grpc::Status& /*status*/) { return false; }

// daprd does not retry an ETag error (a mismatch, or a malformed ETag): another attempt would
// meet the same ETag.
bool IsEtagFailure(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::ABORTED || IsEtagInvalid(status);
}

// The part every decorator shares: lifecycle calls go straight to the component, API calls
// run under the policy.
template <typename Interface>
class Decorated : public Interface {
 public:
  Decorated(std::shared_ptr<Component> inner, std::shared_ptr<const OutboundPolicy> policy)
      : inner_(std::static_pointer_cast<Interface>(std::move(inner))), policy_(std::move(policy)) {}

  void Init(const InitSpec& spec, StatusCallback done) override {
    inner_->Init(spec, std::move(done));
  }
  std::vector<std::string> Features() const override { return inner_->Features(); }
  void Ping(StatusCallback done) override { inner_->Ping(std::move(done)); }
  void PingWithin(std::chrono::milliseconds timeout, StatusCallback done) override {
    inner_->PingWithin(timeout, std::move(done));
  }

 protected:
  // A call answering with a response: `method` of the component, under the policy.
  template <typename Response, typename Request>
  void Run(const char* operation, Request request, const CallOptions& options,
           Callback<Response> done,
           void (Interface::*method)(Request, const CallOptions&, Callback<Response>),
           PermanentFailure permanent = NeverPermanent) {
    if (policy_->bounds_only()) {  // no retry: the request need not be kept
      (inner_.get()->*method)(std::move(request), policy_->AttemptOptions(options),
                              std::move(done));
      return;
    }
    RunUnderPolicy<Response>(
        policy_, options, operation,
        [inner = inner_, request = std::move(request), method](const CallOptions& attempt_options,
                                                               Callback<Response> attempt_done) {
          (inner.get()->*method)(request, attempt_options, std::move(attempt_done));
        },
        std::move(done), permanent);
  }

  // A call answering with a status alone.
  template <typename Request>
  void RunStatus(const char* operation, Request request, const CallOptions& options,
                 StatusCallback done,
                 void (Interface::*method)(Request, const CallOptions&, StatusCallback),
                 PermanentFailure permanent = NeverPermanent) {
    if (policy_->bounds_only()) {
      (inner_.get()->*method)(std::move(request), policy_->AttemptOptions(options),
                              std::move(done));
      return;
    }
    RunUnderPolicy(
        policy_, options, operation,
        [inner = inner_, request = std::move(request), method](const CallOptions& attempt_options,
                                                               StatusCallback attempt_done) {
          (inner.get()->*method)(request, attempt_options, std::move(attempt_done));
        },
        std::move(done), permanent);
  }

  const std::shared_ptr<Interface> inner_;
  const std::shared_ptr<const OutboundPolicy> policy_;
};

class StateStoreUnderPolicy final : public Decorated<StateStore> {
 public:
  using Decorated::Decorated;

  void Get(statepb::GetRequest request, const CallOptions& options,
           Callback<statepb::GetResponse> done) override {
    Run("state get", std::move(request), options, std::move(done), &StateStore::Get);
  }
  void Set(statepb::SetRequest request, const CallOptions& options, StatusCallback done) override {
    RunStatus("state set", std::move(request), options, std::move(done), &StateStore::Set,
              IsEtagFailure);
  }
  void Delete(statepb::DeleteRequest request, const CallOptions& options,
              StatusCallback done) override {
    RunStatus("state delete", std::move(request), options, std::move(done), &StateStore::Delete,
              IsEtagFailure);
  }
  void BulkGet(statepb::BulkGetRequest request, const CallOptions& options,
               Callback<statepb::BulkGetResponse> done) override {
    Run("state bulk get", std::move(request), options, std::move(done), &StateStore::BulkGet);
  }
  // daprd retries only a bulk write's items that failed other than on their ETag; the native
  // interface reports one status for the whole call, so the whole call is retried unless it
  // failed on an ETag.
  void BulkSet(statepb::BulkSetRequest request, const CallOptions& options,
               StatusCallback done) override {
    RunStatus("state bulk set", std::move(request), options, std::move(done), &StateStore::BulkSet,
              IsEtagFailure);
  }
  void BulkDelete(statepb::BulkDeleteRequest request, const CallOptions& options,
                  StatusCallback done) override {
    RunStatus("state bulk delete", std::move(request), options, std::move(done),
              &StateStore::BulkDelete, IsEtagFailure);
  }
  void Transact(statepb::TransactionalStateRequest request, const CallOptions& options,
                StatusCallback done) override {
    RunStatus("state transaction", std::move(request), options, std::move(done),
              &StateStore::Transact, IsEtagFailure);
  }
  void Query(statepb::QueryRequest request, const CallOptions& options,
             Callback<statepb::QueryResponse> done) override {
    Run("state query", std::move(request), options, std::move(done), &StateStore::Query);
  }
  void MultiMaxSize(Callback<int64_t> done) override { inner_->MultiMaxSize(std::move(done)); }
};

class PubSubUnderPolicy final : public Decorated<PubSub> {
 public:
  using Decorated::Decorated;

  void Publish(pubsubpb::PublishRequest request, const CallOptions& options,
               StatusCallback done) override {
    RunStatus("publish", std::move(request), options, std::move(done), &PubSub::Publish);
  }
  // daprd retries a bulk publish's failed entries only; the whole call is retried here when
  // the component fails it (entries it reports failed in an OK answer are the app's to see).
  void BulkPublish(pubsubpb::BulkPublishRequest request, const CallOptions& options,
                   Callback<pubsubpb::BulkPublishResponse> done) override {
    Run("bulk publish", std::move(request), options, std::move(done), &PubSub::BulkPublish);
  }
  std::unique_ptr<Subscription> Subscribe(pubsubpb::Topic topic, MessageHandler handler) override {
    return inner_->Subscribe(std::move(topic), std::move(handler));
  }
};

class OutputBindingUnderPolicy final : public Decorated<OutputBinding> {
 public:
  using Decorated::Decorated;

  void Invoke(bindingspb::InvokeRequest request, const CallOptions& options,
              Callback<bindingspb::InvokeResponse> done) override {
    Run("binding invoke", std::move(request), options, std::move(done), &OutputBinding::Invoke);
  }
  std::vector<std::string> Operations() const override { return inner_->Operations(); }
};

class SecretStoreUnderPolicy final : public Decorated<SecretStore> {
 public:
  using Decorated::Decorated;

  void Get(secretspb::GetSecretRequest request, const CallOptions& options,
           Callback<secretspb::GetSecretResponse> done) override {
    Run("secret get", std::move(request), options, std::move(done), &SecretStore::Get);
  }
  void BulkGet(secretspb::BulkGetSecretRequest request, const CallOptions& options,
               Callback<secretspb::BulkGetSecretResponse> done) override {
    Run("secret bulk get", std::move(request), options, std::move(done), &SecretStore::BulkGet);
  }
};

class ConfigurationStoreUnderPolicy final : public Decorated<ConfigurationStore> {
 public:
  using Decorated::Decorated;

  void Get(configpb::GetConfigurationRequest request, const CallOptions& options,
           Callback<configpb::GetConfigurationResponse> done) override {
    Run("configuration get", std::move(request), options, std::move(done),
        &ConfigurationStore::Get);
  }
  std::unique_ptr<Subscription> Subscribe(configpb::SubscribeConfigurationRequest request,
                                          ConfigurationUpdateHandler on_update,
                                          Callback<std::string> started) override {
    return inner_->Subscribe(std::move(request), std::move(on_update), std::move(started));
  }
  void Save(std::map<std::string, configpb::ConfigurationItem> items,
            std::map<std::string, std::string> metadata, const CallOptions& options,
            StatusCallback done) override {
    inner_->Save(std::move(items), std::move(metadata), options, std::move(done));
  }
  void Delete(std::vector<std::string> keys, std::map<std::string, std::string> metadata,
              const CallOptions& options, StatusCallback done) override {
    inner_->Delete(std::move(keys), std::move(metadata), options, std::move(done));
  }
};

class LockStoreUnderPolicy final : public Decorated<LockStore> {
 public:
  using Decorated::Decorated;

  void TryLock(lockpb::TryLockRequest request, const CallOptions& options,
               Callback<lockpb::TryLockResponse> done) override {
    Run("lock trylock", std::move(request), options, std::move(done), &LockStore::TryLock);
  }
  void Unlock(lockpb::UnlockRequest request, const CallOptions& options,
              Callback<lockpb::UnlockResponse> done) override {
    Run("lock unlock", std::move(request), options, std::move(done), &LockStore::Unlock);
  }
};

// Dapr's name for the component type in default policy names; empty for kinds without one.
std::string DaprTypeOf(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kState:
      return "Statestore";
    case ComponentKind::kPubSub:
      return "Pubsub";
    case ComponentKind::kOutputBinding:
      return "Binding";
    case ComponentKind::kSecretStore:
      return "Secretstore";
    case ComponentKind::kConfiguration:
      return "Configuration";
    case ComponentKind::kLock:
      return "Lock";
    default:
      return "";
  }
}

}  // namespace

std::optional<DeliveryPolicySpec> OutboundPolicyOf(const OutboundPolicies& policies,
                                                   ComponentKind kind, const std::string& name) {
  std::string type = DaprTypeOf(kind);
  if (type.empty()) return std::nullopt;
  const DeliveryPolicySpec* found = nullptr;
  if (auto it = policies.by_component.find(name); it != policies.by_component.end()) {
    found = &it->second;
  } else if (auto it = policies.defaults_by_type.find(type);
             it != policies.defaults_by_type.end()) {
    found = &it->second;
  }
  if (found == nullptr || found->empty()) {
    return std::nullopt;
  }
  return *found;
}

std::shared_ptr<Component> WithOutboundPolicy(ComponentKind kind, const std::string& name,
                                              const DeliveryPolicySpec& policy,
                                              std::shared_ptr<Component> component) {
  auto shared = std::make_shared<const OutboundPolicy>(name, policy);
  switch (kind) {
    case ComponentKind::kState:
      return std::make_shared<StateStoreUnderPolicy>(std::move(component), std::move(shared));
    case ComponentKind::kPubSub:
      return std::make_shared<PubSubUnderPolicy>(std::move(component), std::move(shared));
    case ComponentKind::kOutputBinding:
      return std::make_shared<OutputBindingUnderPolicy>(std::move(component), std::move(shared));
    case ComponentKind::kSecretStore:
      return std::make_shared<SecretStoreUnderPolicy>(std::move(component), std::move(shared));
    case ComponentKind::kConfiguration:
      return std::make_shared<ConfigurationStoreUnderPolicy>(std::move(component),
                                                             std::move(shared));
    case ComponentKind::kLock:
      return std::make_shared<LockStoreUnderPolicy>(std::move(component), std::move(shared));
    default:
      return component;
  }
}

}  // namespace plughost
