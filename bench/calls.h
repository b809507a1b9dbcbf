// The calls the benchmarks make, as load-generator slots: each slot owns one request and one
// response and reuses them, and turns a wrong answer (a value of the wrong size) into an error.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "bench/load.h"
#include "dapr/proto/components/v1/state.grpc.pb.h"
#include "dapr/proto/runtime/v1/dapr.grpc.pb.h"

namespace plughost::bench {

namespace rt = ::dapr::proto::runtime::v1;
namespace statepb = ::dapr::proto::components::v1;

// A long-lived channel (as an app keeps one) with its two stubs.
struct Target {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<rt::Dapr::Stub> dapr;
  std::unique_ptr<statepb::StateStore::Stub> state_store;
};
Target Connect(const std::string& address);

// The key of the pre-saved value of `size` bytes. The echo server derives the size to answer
// from the number after the last '-'.
std::string ValueKey(size_t size);

// dapr.proto.runtime.v1.Dapr/GetState of `key`; the answer must have `expected_size` bytes.
SlotFactory DaprGetState(rt::Dapr::Stub* stub, std::string store, std::string key,
                         size_t expected_size);
// dapr.proto.runtime.v1.Dapr/SaveState of one item. With `key_per_slot` each slot writes
// "<key>-<slot>", so concurrent writers do not all contend for one key.
SlotFactory DaprSaveState(rt::Dapr::Stub* stub, std::string store, std::string key,
                          std::string value, bool key_per_slot);
// dapr.proto.runtime.v1.Dapr/PublishEvent of `data` to `topic`.
SlotFactory DaprPublishEvent(rt::Dapr::Stub* stub, std::string pubsub, std::string topic,
                             std::string data);
// dapr.proto.components.v1.StateStore/Get of `key`, straight to a component.
SlotFactory ComponentGet(statepb::StateStore::Stub* stub, std::string key, size_t expected_size);
// dapr.proto.components.v1.StateStore/Set of `key`.
SlotFactory ComponentSet(statepb::StateStore::Stub* stub, std::string key, std::string value);

// Mixes calls across slots: slot i makes the calls of factories[i % factories.size()].
SlotFactory RoundRobin(std::vector<SlotFactory> factories);

// Makes exactly one call of `factory` and returns its status (for set-up and probes).
grpc::Status CallOnce(const SlotFactory& factory);

}  // namespace plughost::bench
