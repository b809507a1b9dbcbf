#include "wrappers/bindings/grpc_input_binding.h"

#include <string>
#include <utility>

#include "wrappers/common/ack_stream.h"

namespace plughost {
namespace {

using ReadStream = AckStream<bindingspb::ReadRequest, bindingspb::ReadResponse>;

// The ack of event `message_id`: the app's response data, or its error.
bindingspb::ReadRequest AckFor(std::string message_id, const grpc::Status& status,
                               std::string data) {
  bindingspb::ReadRequest ack;
  ack.set_message_id(std::move(message_id));
  if (status.ok()) {
    ack.set_response_data(std::move(data));
  } else {
    ack.mutable_response_error()->set_message(status.error_message());
  }
  return ack;
}

// The handle the caller holds; closing it (or dropping it) stops the stream.
class ReadSubscription final : public Subscription {
 public:
  explicit ReadSubscription(std::shared_ptr<ReadStream> stream) : stream_(std::move(stream)) {}
  ~ReadSubscription() override { Close(); }
  void Close() override { stream_->Close(); }

 private:
  std::shared_ptr<ReadStream> stream_;
};

}  // namespace

std::unique_ptr<Subscription> GrpcInputBinding::Read(BindingEventHandler handler) {
  ReadStream::Options options;
  options.instance_name = channel_.instance_name();
  options.log_area = "bindings";
  options.description = "input binding Read stream";
  options.start_call = [stub = stub_](grpc::ClientContext* context, ReadStream::Reactor* reactor) {
    stub->async()->Read(context, reactor);
  };
  // A restarting component gets the stream as soon as it listens again, instead of a fast
  // failure and a backoff.
  options.wait_for_ready = true;
  auto deliver = [handler = std::move(handler)](bindingspb::ReadResponse event,
                                                ReadStream::Ack ack) {
    std::string id = event.message_id();
    handler(std::move(event), [ack = std::move(ack), id = std::move(id)](const grpc::Status& status,
                                                                         std::string data) {
      ack(AckFor(id, status, std::move(data)));
    });
  };
  return std::make_unique<ReadSubscription>(
      ReadStream::Open(std::move(options), std::move(deliver)));
}

}  // namespace plughost
