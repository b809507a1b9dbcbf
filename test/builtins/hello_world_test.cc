#include "host/builtins/hello_world.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <utility>

namespace plughost {
namespace {

grpc::Status InitWith(HelloWorld& hello, std::map<std::string, std::string> metadata) {
  InitSpec spec;
  spec.instance_name = "hello";
  spec.type = "hello.helloworld";
  spec.metadata = std::move(metadata);
  std::optional<grpc::Status> result;
  hello.Init(spec, [&](grpc::Status status) { result = std::move(status); });
  REQUIRE(result.has_value());
  return *result;
}

std::string SayHello(HelloWorld& hello, std::string name) {
  std::optional<grpc::Status> status;
  std::string answer;
  hello.SayHello(std::move(name), CallOptions{}, [&](grpc::Status s, std::string greeting) {
    status = std::move(s);
    answer = std::move(greeting);
  });
  REQUIRE(status.has_value());
  REQUIRE(status->ok());
  return answer;
}

TEST_CASE("hello.helloworld answers the default greeting without metadata", "[hello]") {
  HelloWorld hello;
  REQUIRE(InitWith(hello, {}).ok());
  CHECK(SayHello(hello, "Ada") == "greetings");
  CHECK(hello.Features().empty());
}

TEST_CASE("hello.helloworld answers exactly the greeting from the \"hello\" metadata", "[hello]") {
  HelloWorld hello;
  REQUIRE(InitWith(hello, {{"hello", "hi there"}, {"other", "ignored"}}).ok());
  CHECK(SayHello(hello, "Ada") == "hi there");
  CHECK(SayHello(hello, "") == "hi there");
}

TEST_CASE("hello.helloworld re-Init replaces the greeting and falls back to the default",
          "[hello]") {
  HelloWorld hello;
  REQUIRE(InitWith(hello, {{"hello", "first"}}).ok());
  CHECK(SayHello(hello, "x") == "first");
  REQUIRE(InitWith(hello, {{"hello", "second"}}).ok());
  CHECK(SayHello(hello, "x") == "second");
  REQUIRE(InitWith(hello, {}).ok());
  CHECK(SayHello(hello, "x") == "greetings");
}

TEST_CASE("hello.helloworld Ping succeeds", "[hello]") {
  HelloWorld hello;
  std::optional<grpc::Status> result;
  hello.Ping([&](grpc::Status status) { result = std::move(status); });
  REQUIRE(result.has_value());
  CHECK(result->ok());
}

}  // namespace
}  // namespace plughost
