#include "host/discovery/reflection_probe.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>  // SerializationTraits for protobuf messages
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>

#include <utility>

#include "grpc/reflection/v1/reflection.pb.h"
#include "host/common/callback_queue_pin.h"

namespace plughost {
namespace {

// v1alpha and v1 reflection are field-for-field identical on the wire; only the method path
// differs. So both are spoken with v1's generated messages through a typed generic stub.
// This also keeps v1alpha's generated classes out of the binary: libgrpc++_reflection (which
// servers in the same process link) carries its own copy, and protobuf aborts at startup when
// two copies register the same message names.
using Request = grpc::reflection::v1::ServerReflectionRequest;
using Response = grpc::reflection::v1::ServerReflectionResponse;
using ReflectionStub = grpc::TemplatedGenericStub<Request, Response>;

enum class Protocol { kV1Alpha, kV1 };

const char* MethodPath(Protocol protocol) {
  return protocol == Protocol::kV1Alpha
             ? "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
             : "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
}

// Owns what one probe needs across its one or two calls (the channel, the shared deadline and
// the caller's callback), so the callback lives in one place until it is invoked, exactly once.
// Deletes itself when it reports.
class ReflectionProbe {
 public:
  ReflectionProbe(std::shared_ptr<grpc::Channel> channel,
                  std::chrono::system_clock::time_point deadline,
                  Callback<std::vector<std::string>> done) noexcept
      : channel_(std::move(channel)), deadline_(deadline), done_(std::move(done)) {}

  void Start() noexcept {
    try {
      StartCall(Protocol::kV1Alpha);
    } catch (...) {
      Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, std::string()), {});
    }
  }

  // Runs on a gRPC thread when one call has ended and released its resources.
  void OnCallDone(Protocol protocol, grpc::Status status, std::vector<std::string> services) {
    if (protocol == Protocol::kV1Alpha && status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      // v1alpha is absent: a v1-only server. Same channel (the connection is already up) and
      // the same absolute deadline, so the fallback cannot extend the probe.
      try {
        StartCall(Protocol::kV1);
        return;
      } catch (...) {
        status = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, std::string());
      }
    }
    Finish(std::move(status), std::move(services));
  }

 private:
  void StartCall(Protocol protocol);

  void Finish(grpc::Status status, std::vector<std::string> services) noexcept {
    Callback<std::vector<std::string>> done = std::move(done_);
    // Drop our channel reference before reporting, so a caller that tears down on `done`
    // does not race our cleanup.
    delete this;
    try {
      done(std::move(status), std::move(services));
    } catch (...) {
      // The callback contract forbids throwing; an escape here would be swallowed by gRPC
      // anyway, so swallowing it ourselves keeps the thread pool healthy.
    }
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::chrono::system_clock::time_point deadline_;
  Callback<std::vector<std::string>> done_;
};

// One ServerReflectionInfo stream: a single list_services request, then read until the
// server closes. Deletes itself in OnDone, after handing its outcome to the probe.
class ListServicesCall final : public grpc::ClientBidiReactor<Request, Response> {
 public:
  ListServicesCall(ReflectionProbe* probe, Protocol protocol,
                   const std::shared_ptr<grpc::Channel>& channel,
                   std::chrono::system_clock::time_point deadline)
      : probe_(probe), protocol_(protocol), stub_(channel) {
    // No wait_for_ready: a dead socket must fail at once, not wait for a listener to appear.
    context_.set_deadline(deadline);
    request_.set_list_services("");  // the value is ignored; setting it selects the query
  }

  void Start() {
    stub_.PrepareBidiStreamingCall(&context_, MethodPath(protocol_), grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());  // the request plus WritesDone
    StartRead(&response_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the server closed its side; OnDone follows
    try {
      if (response_.has_list_services_response()) {
        got_service_list_ = true;
        for (const auto& service : response_.list_services_response().service()) {
          services_.push_back(service.name());
        }
      } else if (response_.has_error_response()) {
        error_code_ = response_.error_response().error_code();
        error_message_ = response_.error_response().error_message();
      }
    } catch (...) {
      out_of_memory_ = true;
    }
    // Keep reading until the stream ends, as the callback API expects.
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    ReflectionProbe* probe = probe_;
    const Protocol protocol = protocol_;
    grpc::Status outcome;
    std::vector<std::string> services = std::move(services_);
    try {
      outcome = Outcome(status);
    } catch (...) {
      outcome = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, std::string());
    }
    delete this;  // legal in OnDone; releases the stub's channel reference first
    try {
      probe->OnCallDone(protocol, std::move(outcome), std::move(services));
    } catch (...) {
      // OnCallDone only throws on allocation failure and always reports; nothing to add.
    }
  }

 private:
  grpc::Status Outcome(const grpc::Status& status) const {
    if (!status.ok()) return status;
    if (out_of_memory_) {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "out of memory reading reply");
    }
    if (error_code_ != 0) {
      return grpc::Status(
          grpc::StatusCode::UNKNOWN,
          "reflection answered with error " + std::to_string(error_code_) + ": " + error_message_);
    }
    if (!got_service_list_) {
      return grpc::Status(grpc::StatusCode::UNKNOWN,
                          "reflection closed the stream without a service list");
    }
    return status;
  }

  ReflectionProbe* probe_;
  const Protocol protocol_;
  ReflectionStub stub_;
  grpc::ClientContext context_;
  Request request_;
  Response response_;
  std::vector<std::string> services_;
  bool got_service_list_ = false;
  int error_code_ = 0;
  std::string error_message_;
  bool out_of_memory_ = false;
};

void ReflectionProbe::StartCall(Protocol protocol) {
  auto* call = new ListServicesCall(this, protocol, channel_, deadline_);
  call->Start();
}

}  // namespace

void ListServicesByReflection(std::shared_ptr<grpc::Channel> channel,
                              std::chrono::system_clock::time_point deadline,
                              Callback<std::vector<std::string>> done) {
  PinCallbackCompletionQueue();
  ReflectionProbe* probe = nullptr;
  try {
    // Allocation happens before `done` is moved, so on failure it is still ours to call.
    probe = new ReflectionProbe(std::move(channel), deadline, std::move(done));
  } catch (...) {
    try {
      done(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, std::string()), {});
    } catch (...) {
    }
    return;
  }
  probe->Start();
}

}  // namespace plughost
