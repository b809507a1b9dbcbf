#include "host/common/callback_queue_pin.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>

#include <memory>

namespace plughost {

// gRPC 1.51 on Linux runs callback-API completions on a shared, reference-counted completion
// queue with its own threads; every channel that has made a callback call holds a reference.
// When the last such channel is destroyed on one of those threads (which is what a finished
// probe does when no other channel exists yet, as at startup), gRPC deletes the queue under
// the running thread and aborts (seen as "prior > 0" in grpc_cq_internal_unref). One channel
// that lives as long as the process and has made one callback call keeps the count above zero.
void PinCallbackCompletionQueue() {
  // Never destroyed, on purpose: it must outlive every probe, even those ending at exit.
  static std::shared_ptr<grpc::Channel>* const pinned_channel = []() -> auto* {
    std::shared_ptr<grpc::Channel>* channel = nullptr;
    try {
      struct PinCall {
        grpc::ClientContext context;
        grpc::Slice empty;
        grpc::ByteBuffer request{&empty, 1};  // an empty message; a null buffer is API misuse
        grpc::ByteBuffer response;
      };
      // The path cannot exist (/dev/null is not a directory) and the deadline has already
      // passed, so the call ends at once; making it is what takes the queue reference.
      channel = new std::shared_ptr<grpc::Channel>(grpc::CreateChannel(
          "unix:/dev/null/plughost-callback-pin", grpc::InsecureChannelCredentials()));
      auto* call = new PinCall;
      call->context.set_deadline(std::chrono::system_clock::now());
      grpc::GenericStub(*channel).UnaryCall(&call->context, "/plughost.discovery.Pin/Pin",
                                            grpc::StubOptions(), &call->request, &call->response,
                                            [call](const grpc::Status&) { delete call; });
    } catch (...) {
      // Without the pin probes still work; only the last-channel teardown race remains.
    }
    return channel;
  }
  ();
  (void)pinned_channel;
}

}  // namespace plughost
