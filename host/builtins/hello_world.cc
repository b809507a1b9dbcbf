#include "host/builtins/hello_world.h"

#include <utility>

namespace plughost {
namespace {

constexpr char kGreetingKey[] = "hello";
constexpr char kDefaultGreeting[] = "greetings";

}  // namespace

void HelloWorld::Init(const InitSpec& spec, StatusCallback done) {
  auto it = spec.metadata.find(kGreetingKey);
  // Re-Init starts from the default, so dropping "hello" from the config takes effect.
  std::string greeting =
      it != spec.metadata.end() && !it->second.empty() ? it->second : kDefaultGreeting;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    greeting_ = std::move(greeting);
  }
  done(grpc::Status::OK);
}

void HelloWorld::SayHello(std::string /*name*/, const CallOptions& /*options*/,
                          Callback<std::string> done) {
  // Like Layotto's helloworld, the answer is the configured greeting alone, whatever the name.
  std::string greeting;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    greeting = greeting_;
  }
  done(grpc::Status::OK, std::move(greeting));
}

}  // namespace plughost
