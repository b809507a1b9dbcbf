#include "host/builtins/builtins.h"

#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>

#include "host/components/hello.h"
#include "host/components/state_store.h"

namespace plughost {
namespace {

size_t CountOccurrences(const std::string& text, const std::string& word) {
  size_t count = 0;
  for (size_t pos = text.find(word); pos != std::string::npos; pos = text.find(word, pos + 1)) {
    ++count;
  }
  return count;
}

TEST_CASE("RegisterBuiltins registers state.in-memory and hello.helloworld", "[builtins]") {
  FactoryRegistry::Builder builder;
  REQUIRE(RegisterBuiltins(builder).ok());
  FactoryRegistry registry = std::move(builder).Build();

  const ComponentFactory* state = registry.Find(ComponentKind::kState, "state.in-memory");
  REQUIRE(state != nullptr);
  CHECK(state->kind() == ComponentKind::kState);
  CHECK(state->type() == "state.in-memory");
  CHECK(state->source() == "built-in");

  const ComponentFactory* hello = registry.Find(ComponentKind::kHello, "hello.helloworld");
  REQUIRE(hello != nullptr);
  CHECK(hello->kind() == ComponentKind::kHello);
  CHECK(hello->type() == "hello.helloworld");
  CHECK(hello->source() == "built-in");

  // Registered under their own kind only.
  CHECK(registry.Find(ComponentKind::kHello, "state.in-memory") == nullptr);
  CHECK(registry.FindByType("state.in-memory").size() == 1);
}

TEST_CASE("built-in factories create working, independent instances", "[builtins]") {
  FactoryRegistry::Builder builder;
  REQUIRE(RegisterBuiltins(builder).ok());
  FactoryRegistry registry = std::move(builder).Build();

  const ComponentFactory* state_factory = registry.Find(ComponentKind::kState, "state.in-memory");
  REQUIRE(state_factory != nullptr);
  auto first = std::dynamic_pointer_cast<StateStore>(state_factory->Create("one"));
  auto second = std::dynamic_pointer_cast<StateStore>(state_factory->Create("two"));
  REQUIRE(first != nullptr);
  REQUIRE(second != nullptr);
  CHECK(first != second);

  statepb::SetRequest set;
  set.set_key("k");
  set.set_value("v");
  std::optional<grpc::Status> set_status;
  first->Set(set, CallOptions{}, [&](grpc::Status status) { set_status = status; });
  REQUIRE(set_status.has_value());
  REQUIRE(set_status->ok());

  statepb::GetRequest get;
  get.set_key("k");
  std::string from_first, from_second;
  first->Get(get, CallOptions{},
             [&](grpc::Status, statepb::GetResponse response) { from_first = response.data(); });
  second->Get(get, CallOptions{},
              [&](grpc::Status, statepb::GetResponse response) { from_second = response.data(); });
  CHECK(from_first == "v");
  CHECK(from_second.empty());  // instances do not share data

  const ComponentFactory* hello_factory = registry.Find(ComponentKind::kHello, "hello.helloworld");
  REQUIRE(hello_factory != nullptr);
  auto hello = std::dynamic_pointer_cast<HelloService>(hello_factory->Create("hello"));
  REQUIRE(hello != nullptr);
  InitSpec spec;
  spec.metadata["hello"] = "hey";
  hello->Init(spec, [](grpc::Status) {});
  std::string answer;
  hello->SayHello("x", CallOptions{},
                  [&](grpc::Status, std::string greeting) { answer = greeting; });
  CHECK(answer == "hey");
}

TEST_CASE("registering the built-ins twice names both built-in sources", "[builtins]") {
  FactoryRegistry::Builder builder;
  REQUIRE(RegisterBuiltins(builder).ok());
  absl::Status again = RegisterBuiltins(builder);
  REQUIRE_FALSE(again.ok());
  CHECK(again.code() == absl::StatusCode::kAlreadyExists);
  std::string message(again.message());
  INFO(message);
  CHECK(CountOccurrences(message, "built-in") == 2);
  CHECK(message.find("state.in-memory") != std::string::npos);
}

}  // namespace
}  // namespace plughost
