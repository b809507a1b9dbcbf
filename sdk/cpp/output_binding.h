// What an output binding author implements (dapr.proto.components.v1.OutputBinding): one object
// per component instance. Served by ComponentServer::AddOutputBinding<Binding>().
#pragma once

#include <string>
#include <vector>

#include "dapr/proto/components/v1/bindings.pb.h"
#include "sdk/cpp/component.h"

namespace plughost::sdk {

namespace bindingpb = ::dapr::proto::components::v1;

class OutputBinding : public Component {
 public:
  // The operation names Invoke accepts (ListOperations).
  virtual std::vector<std::string> Operations() = 0;
  // An operation not in Operations() should answer INVALID_ARGUMENT or UNIMPLEMENTED.
  virtual grpc::Status Invoke(const bindingpb::InvokeRequest& request,
                              bindingpb::InvokeResponse* response) = 0;
};

}  // namespace plughost::sdk
