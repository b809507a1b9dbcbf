// What an input binding author implements (dapr.proto.components.v1.InputBinding): one object
// per component instance. Served by InputBindingServices (input_binding_service.h), e.g.
//   server.AddServices(sdk::InputBindingServices(
//       std::make_shared<sdk::InstanceMap<sdk::InputBinding>>(
//           [] { return std::make_shared<MyBinding>(); })));
//
// Each Read call is one stream: the SDK calls Read with an EventStream to send events on,
// passes each of the host's acks (ReadRequest) to the returned ReadSubscription, and calls its
// Close when the stream ends. With a worker pool (component.h) Read, OnAck and Close run there.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "dapr/proto/components/v1/bindings.pb.h"
#include "sdk/cpp/component.h"

namespace plughost::sdk {

namespace inputpb = ::dapr::proto::components::v1;

// The events of one Read stream, towards the host. Thread-safe.
class EventStream {
 public:
  virtual ~EventStream() = default;
  // Queues an event; `event.message_id()` names it in the host's ack. False once it ended.
  virtual bool Send(inputpb::ReadResponse event) = 0;
  virtual void End(grpc::Status status) = 0;
  virtual bool ended() = 0;
};

class ReadSubscription {
 public:
  virtual ~ReadSubscription() = default;
  // The host's answer to event `id`: `error` is set when the app failed it; `response` is the
  // app's reply data.
  virtual void OnAck(const std::string& id, const std::optional<std::string>& error,
                     const std::string& response) = 0;
  // The stream ended. Called once; stop sending. Events not acked by now were not processed.
  virtual void Close() = 0;
};

class InputBinding : public Component {
 public:
  // Starts sending events on `stream`. An error status fails the stream with it.
  virtual absl::StatusOr<std::shared_ptr<ReadSubscription>> Read(
      std::shared_ptr<EventStream> stream) = 0;
};

}  // namespace plughost::sdk
