// configuration.in-memory is registered as a built-in configuration store.
#include <catch2/catch.hpp>

#include "host/builtins/builtins.h"
#include "host/components/configuration_store.h"

namespace plughost {

TEST_CASE("RegisterBuiltins registers configuration.in-memory", "[configuration]") {
  FactoryRegistry::Builder builder;
  REQUIRE(RegisterBuiltins(builder).ok());
  FactoryRegistry registry = std::move(builder).Build();
  const ComponentFactory* factory =
      registry.Find(ComponentKind::kConfiguration, "configuration.in-memory");
  REQUIRE(factory != nullptr);
  CHECK(factory->source() == "built-in");
  auto store = std::dynamic_pointer_cast<ConfigurationStore>(factory->Create("c"));
  REQUIRE(store != nullptr);
  CHECK(store != std::dynamic_pointer_cast<ConfigurationStore>(factory->Create("d")));
}

}  // namespace plughost
