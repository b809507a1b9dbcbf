// The secret-store built-ins are registered under their Dapr type names.
#include <catch2/catch.hpp>

#include "host/builtins/builtins.h"
#include "host/components/secret_store.h"

namespace plughost {

TEST_CASE("RegisterBuiltins registers secretstores.local.env and secretstores.local.file",
          "[secrets]") {
  FactoryRegistry::Builder builder;
  REQUIRE(RegisterBuiltins(builder).ok());
  FactoryRegistry registry = std::move(builder).Build();
  for (const char* type : {"secretstores.local.env", "secretstores.local.file"}) {
    INFO(type);
    const ComponentFactory* factory = registry.Find(ComponentKind::kSecretStore, type);
    REQUIRE(factory != nullptr);
    CHECK(factory->source() == "built-in");
    auto first = std::dynamic_pointer_cast<SecretStore>(factory->Create("a"));
    auto second = std::dynamic_pointer_cast<SecretStore>(factory->Create("b"));
    REQUIRE(first != nullptr);
    CHECK(first != second);
  }
}

}  // namespace plughost
