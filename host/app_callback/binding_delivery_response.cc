#include "host/app_callback/binding_delivery_response.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include "host/state/state_requests.h"
#include "host/common/log.h"
#include "host/components/binding_direction.h"
#include "host/components/bindings.h"
#include "host/components/state_store.h"

namespace plughost {
namespace {

namespace rt = ::dapr::proto::runtime::v1;

// The operation Dapr uses to hand a response's data to the bindings named in `to`.
constexpr char kForwardOperation[] = "create";

CallOptions BackgroundCall(const DeliveryContext& context) {
  CallOptions options;
  options.default_timeout = context.component_timeout;
  return options;
}

// Runs a completion that must not throw: it runs on a gRPC thread, where an escaping
// exception would be swallowed and the event never acked.
template <typename Fn>
void Guarded(const char* what, Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    PH_LOG_ERROR("bindings", "{} threw: {}", what, e.what());
  } catch (...) {
    PH_LOG_ERROR("bindings", "{} threw", what);
  }
}

void SaveStates(const DeliveryContext& context, const std::string& binding_name,
                rt::BindingEventResponse& response) {
  const std::string& store_name = response.store_name();
  auto store = context.instances->Find(ComponentKind::kState, store_name);
  if (!store) {
    PH_LOG_WARN("bindings",
                "input binding '{}': the app's response names state store '{}', "
                "which is not configured; {} state(s) dropped",
                binding_name, store_name, response.states_size());
    return;
  }
  statepb::BulkSetRequest bulk;
  for (auto& item : *response.mutable_states()) {
    if (auto status = ToSetRequest(store->key_prefix, item, bulk.add_items()); !status.ok()) {
      PH_LOG_WARN("bindings",
                  "input binding '{}': the app's states for state store '{}' are "
                  "dropped: {}",
                  binding_name, store_name, status.message());
      return;
    }
  }
  auto logged = [binding_name, store](const grpc::Status& status) {
    if (status.ok()) return;
    PH_LOG_WARN("bindings",
                "input binding '{}': saving the app's states in state store '{}' "
                "failed: {}",
                binding_name, store->name, status.error_message());
  };
  // One item through Set, several through BulkSet, as SaveState does.
  if (bulk.items_size() == 1) {
    statepb::SetRequest single = std::move(*bulk.mutable_items(0));
    store->As<StateStore>()->Set(std::move(single), BackgroundCall(context), std::move(logged));
  } else {
    store->As<StateStore>()->BulkSet(std::move(bulk), BackgroundCall(context), std::move(logged));
  }
}

// One destination of `to`, resolved up front so that the sends need no context.
struct Destination {
  std::string name;
  InstancePtr binding;  // null when it cannot take the data
  std::string problem;  // why not, in Dapr's words
};

Destination Resolve(const DeliveryContext& context, const std::string& name) {
  Destination out{name, nullptr, ""};
  auto binding = context.instances->Find(ComponentKind::kOutputBinding, name);
  if (!binding || !BindingServesAs(binding->metadata, ComponentKind::kOutputBinding)) {
    out.problem = "couldn't find output binding " + name;
    return out;
  }
  auto operations = binding->As<OutputBinding>()->Operations();
  if (std::find(operations.begin(), operations.end(), kForwardOperation) == operations.end()) {
    std::string supported;
    for (const auto& operation : operations) {
      if (!supported.empty()) supported += ' ';
      supported += operation;
    }
    out.problem = "binding " + name + " does not support operation " + kForwardOperation +
                  ". supported operations:" + supported;
    return out;
  }
  out.binding = std::move(binding);
  return out;
}

// Sends the data to the destinations in order from `next`, stopping at the first failure.
struct SequentialSend : std::enable_shared_from_this<SequentialSend> {
  std::string source;  // the input binding whose event this answers
  std::string data;
  std::vector<Destination> destinations;
  CallOptions options;
  absl::AnyInvocable<void()> done;

  void SendFrom(size_t next) {
    if (next == destinations.size()) {
      Finish();
      return;
    }
    const Destination& to = destinations[next];
    if (!to.binding) {
      PH_LOG_WARN("bindings",
                  "input binding '{}': the app's response data was not sent to '{}' "
                  "(nor to any binding after it): {}",
                  source, to.name, to.problem);
      Finish();
      return;
    }
    bindingspb::InvokeRequest request;
    request.set_data(data);
    request.set_operation(kForwardOperation);
    to.binding->As<OutputBinding>()->Invoke(
        std::move(request), options,
        [self = shared_from_this(), next](grpc::Status status, const bindingspb::InvokeResponse&) {
          Guarded("sending an app's binding response", [&] {
            if (!status.ok()) {
              PH_LOG_WARN("bindings",
                          "input binding '{}': sending the app's response data to "
                          "'{}' failed: {}; the bindings after it were skipped",
                          self->source, self->destinations[next].name, status.error_message());
              self->Finish();
              return;
            }
            self->SendFrom(next + 1);
          });
        });
  }

  void Finish() {
    auto finish = std::move(done);
    done = nullptr;
    if (finish) finish();
  }
};

void SendInParallel(const std::string& source, const std::string& data,
                    std::vector<Destination> destinations, const CallOptions& options) {
  for (auto& to : destinations) {
    if (!to.binding) {
      PH_LOG_WARN("bindings",
                  "input binding '{}': the app's response data was not sent to "
                  "'{}': {}",
                  source, to.name, to.problem);
      continue;
    }
    bindingspb::InvokeRequest request;
    request.set_data(data);
    request.set_operation(kForwardOperation);
    to.binding->As<OutputBinding>()->Invoke(
        std::move(request), options,
        [source, name = to.name, keep = to.binding](const grpc::Status& status,
                                                    const bindingspb::InvokeResponse&) {
          if (status.ok()) return;
          PH_LOG_WARN("bindings",
                      "input binding '{}': sending the app's response data to '{}' "
                      "failed: {}",
                      source, name, status.error_message());
        });
  }
}

}  // namespace

void ApplyBindingEventResponse(const DeliveryContext& context, const std::string& binding_name,
                               rt::BindingEventResponse response, absl::AnyInvocable<void()> done) {
  if (response.states_size() > 0) SaveStates(context, binding_name, response);
  if (response.to().empty()) {
    done();
    return;
  }
  std::vector<Destination> destinations;
  for (const auto& name : response.to()) destinations.push_back(Resolve(context, name));
  if (response.concurrency() == rt::BindingEventResponse::PARALLEL) {
    SendInParallel(binding_name, response.data(), std::move(destinations), BackgroundCall(context));
    done();
    return;
  }
  auto send = std::make_shared<SequentialSend>();
  send->source = binding_name;
  send->data = response.data();
  send->destinations = std::move(destinations);
  send->options = BackgroundCall(context);
  send->done = std::move(done);
  send->SendFrom(0);
}

}  // namespace plughost
