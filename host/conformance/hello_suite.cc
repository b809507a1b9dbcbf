// Conformance cases for hello services (Layotto's spec.proto.pluggable.v1.hello.Hello).
#include <fmt/format.h>

#include "host/components/hello.h"
#include "host/conformance/await.h"
#include "host/conformance/suite.h"

namespace plughost::conformance {

void RunHelloSuite(const SuiteContext& context) {
  Suite suite(context, "hello");
  // The host passes the instance's metadata "hello" as HelloConfig.hello_string.
  std::string greeting = "greeting-" + context.run_id;
  auto hello = suite.InitCase<HelloService>("init", "a", {{"hello", greeting}});
  if (!hello) return;
  suite.Run("say-hello", [&] {
    auto reply = Await<std::string>([&](Callback<std::string> done) {
      hello->SayHello("conformance", KitCallOptions(), std::move(done));
    });
    if (!reply.status.ok()) return Fail("SayHello should answer OK, got " + Describe(reply.status));
    if (reply.value.empty()) return Fail("SayHello answered an empty hello_string");
    return Pass(fmt::format("\"{}\"", reply.value));
  });
  suite.PingCase(*hello);
}

}  // namespace plughost::conformance
