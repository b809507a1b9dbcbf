// Conformance cases for input and output bindings (dapr.proto.components.v1.InputBinding,
// OutputBinding). Bindings have no Features; what their operations do is theirs to define, so
// the cases check the contract around them.
#include <fmt/format.h>

#include "host/components/bindings.h"
#include "host/conformance/await.h"
#include "host/conformance/suite.h"

namespace plughost::conformance {

void RunOutputBindingSuite(const SuiteContext& context) {
  Suite suite(context, "output-binding");
  auto binding = suite.InitCase<OutputBinding>("init", "out");
  if (!binding) return;
  std::vector<std::string> operations = binding->Operations();
  suite.Run("operations-listed", [&] {
    if (operations.empty()) return Fail("ListOperations listed no operation");
    std::string listed;
    for (const auto& operation : operations) {
      if (operation.empty()) return Fail("ListOperations listed an empty operation name");
      listed += (listed.empty() ? "" : ", ") + operation;
    }
    return Pass(listed);
  });
  suite.Run("unlisted-operation", [&] {
    std::string operation = suite.UniqueName("unlisted");
    bindingspb::InvokeRequest request;
    request.set_operation(operation);
    request.set_data("conformance");
    auto reply = Await<bindingspb::InvokeResponse>([&](Callback<bindingspb::InvokeResponse> done) {
      binding->Invoke(std::move(request), KitCallOptions(), std::move(done));
    });
    if (reply.status.ok()) {
      return Fail(
          fmt::format("Invoke of operation {}, which ListOperations did not list, should "
                      "fail (UNIMPLEMENTED, host/components/bindings.h), got OK",
                      operation));
    }
    if (reply.status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      return Fail("Invoke of an unlisted operation should fail at once, got " +
                  Describe(reply.status));
    }
    return Pass(CodeName(reply.status.error_code()));
  });
  suite.PingCase(*binding);
}

void RunInputBindingSuite(const SuiteContext& context) {
  Suite suite(context, "input-binding");
  auto binding = suite.InitCase<InputBinding>("init", "in");
  if (!binding) return;
  suite.PingCase(*binding);
}

}  // namespace plughost::conformance
