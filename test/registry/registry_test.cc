#include <catch2/catch.hpp>

#include "host/registry/factory_registry.h"
#include "host/registry/instance_table.h"

namespace plughost {
namespace {

class FakeComponent : public Component {
 public:
  void Init(const InitSpec&, StatusCallback done) override { done(grpc::Status::OK); }
  std::vector<std::string> Features() const override { return {}; }
  void Ping(StatusCallback done) override { done(grpc::Status::OK); }
};

class FakeFactory : public ComponentFactory {
 public:
  FakeFactory(ComponentKind kind, std::string type, std::string source)
      : kind_(kind), type_(std::move(type)), source_(std::move(source)) {}
  ComponentKind kind() const override { return kind_; }
  const std::string& type() const override { return type_; }
  const std::string& source() const override { return source_; }
  std::shared_ptr<Component> Create(const std::string&) const override {
    return std::make_shared<FakeComponent>();
  }

 private:
  ComponentKind kind_;
  std::string type_, source_;
};

}  // namespace

TEST_CASE("the factory registry refuses a second factory for one type, naming both sources") {
  FactoryRegistry::Builder builder;
  REQUIRE(
      builder
          .Register(std::make_unique<FakeFactory>(ComponentKind::kState, "state.redis", "built-in"))
          .ok());
  auto clash = builder.Register(
      std::make_unique<FakeFactory>(ComponentKind::kState, "state.redis", "socket /s/redis.sock"));
  REQUIRE_FALSE(clash.ok());
  CHECK_THAT(std::string(clash.message()), Catch::Contains("state.redis"));
  CHECK_THAT(std::string(clash.message()), Catch::Contains("built-in"));
  CHECK_THAT(std::string(clash.message()), Catch::Contains("socket /s/redis.sock"));
  // Input and output bindings may share a type.
  REQUIRE(builder
              .Register(std::make_unique<FakeFactory>(ComponentKind::kInputBinding,
                                                      "bindings.kafka", "socket k"))
              .ok());
  REQUIRE(builder
              .Register(std::make_unique<FakeFactory>(ComponentKind::kOutputBinding,
                                                      "bindings.kafka", "socket k"))
              .ok());

  auto registry = std::move(builder).Build();
  CHECK(registry.Find(ComponentKind::kState, "state.redis")->source() == "built-in");
  CHECK(registry.Find(ComponentKind::kState, "state.nosuch") == nullptr);
  CHECK(registry.FindByType("bindings.kafka").size() == 2);
  CHECK(registry.All().size() == 3);
}

TEST_CASE("the instance table refuses two instances of one kind with one name") {
  InstanceTable table;
  auto make = [](std::string name, std::string type, std::string source) {
    return InstanceInfo{std::move(name),
                        std::move(type),
                        "v1",
                        ComponentKind::kState,
                        std::move(source),
                        {},
                        "",
                        std::make_shared<FakeComponent>()};
  };
  REQUIRE(table.Add(make("store", "state.in-memory", "built-in")).ok());
  auto clash = table.Add(make("store", "state.redis", "socket /s/redis.sock"));
  REQUIRE_FALSE(clash.ok());
  CHECK_THAT(std::string(clash.message()), Catch::Contains("'store'"));
  CHECK_THAT(std::string(clash.message()), Catch::Contains("built-in"));
  CHECK_THAT(std::string(clash.message()), Catch::Contains("/s/redis.sock"));
  CHECK(table.Find(ComponentKind::kState, "store")->type == "state.in-memory");
  CHECK(table.Find(ComponentKind::kHello, "store") == nullptr);
  CHECK(table.HasKind(ComponentKind::kState));
  CHECK_FALSE(table.HasKind(ComponentKind::kPubSub));
  CHECK(table.All().size() == 1);
}

}  // namespace plughost
