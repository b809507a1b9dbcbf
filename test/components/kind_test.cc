#include <catch2/catch.hpp>

#include "host/components/kind.h"

namespace plughost {

TEST_CASE("component types derive from kind and socket file name") {
  CHECK(ComponentNameFromSocketFile("my-comp.sock") == "my-comp");
  CHECK(ComponentNameFromSocketFile("a.b.sock") == "a.b");
  CHECK(ComponentNameFromSocketFile("plain") == "plain");
  CHECK(ComponentNameFromSocketFile(".hidden") == ".hidden");
  CHECK(MakeType(ComponentKind::kState, "redis") == "state.redis");
  CHECK(MakeType(ComponentKind::kInputBinding, "kafka") == "bindings.kafka");
  CHECK(MakeType(ComponentKind::kSecretStore, "vault") == "secretstores.vault");
}

TEST_CASE("types split at the first dot") {
  std::string prefix, impl;
  REQUIRE(SplitType("secretstores.local.env", &prefix, &impl));
  CHECK(prefix == "secretstores");
  CHECK(impl == "local.env");
  CHECK_FALSE(SplitType("redis", &prefix, &impl));
  CHECK_FALSE(SplitType(".redis", &prefix, &impl));
  CHECK_FALSE(SplitType("state.", &prefix, &impl));
}

TEST_CASE("socket services map to kinds; companions and unknown services do not") {
  CHECK(KindForService("dapr.proto.components.v1.StateStore") == ComponentKind::kState);
  CHECK(KindForService("dapr.proto.components.v1.PubSub") == ComponentKind::kPubSub);
  CHECK(KindForService("dapr.proto.components.v1.InputBinding") == ComponentKind::kInputBinding);
  CHECK(KindForService("dapr.proto.components.v1.OutputBinding") == ComponentKind::kOutputBinding);
  CHECK(KindForService("dapr.proto.components.v1.SecretStore") == ComponentKind::kSecretStore);
  CHECK(KindForService("spec.proto.pluggable.v1.hello.Hello") == ComponentKind::kHello);
  CHECK(KindForService("plughost.components.v1.Lock") == ComponentKind::kLock);
  CHECK(KindForService("plughost.components.v1.Sequencer") == ComponentKind::kSequencer);
  CHECK(KindForService("plughost.components.v1.Configuration") == ComponentKind::kConfiguration);
  CHECK_FALSE(KindForService("dapr.proto.components.v1.TransactionalStateStore"));
  CHECK_FALSE(KindForService("grpc.reflection.v1alpha.ServerReflection"));
  CHECK(KindsForPrefix("bindings").size() == 2);
  CHECK(KindsForPrefix("nosuch").empty());
  for (auto kind : AllKinds()) CHECK(KindForService(ServiceForKind(kind)) == kind);
}

}  // namespace plughost
