#include "wrappers/state/grpc_state_store.h"

#include "host/common/log.h"
#include "wrappers/common/state_error_details.h"
#include "wrappers/common/control_calls.h"
#include "wrappers/common/unary_call.h"

namespace plughost {
namespace {

// Adapts a void-returning callback to the response-carrying shape StartUnaryCall expects,
// translating the component's error details on the way.
template <typename Response>
Callback<Response> StatusOnly(StatusCallback done, StateOperation operation) {
  return [done = std::move(done), operation](const grpc::Status& status, const Response&) mutable {
    done(status.ok() ? status : DecodeStateError(status, operation));
  };
}

template <typename Response>
Callback<Response> Decoding(Callback<Response> done, StateOperation operation) {
  return [done = std::move(done), operation](grpc::Status status, Response response) mutable {
    if (!status.ok()) status = DecodeStateError(status, operation);
    done(std::move(status), std::move(response));
  };
}

}  // namespace

GrpcStateStore::GrpcStateStore(std::string socket_path, std::string instance_name)
    : channel_(std::move(socket_path), std::move(instance_name)),
      store_(statepb::StateStore::NewStub(channel_.channel())),
      transactional_(statepb::TransactionalStateStore::NewStub(channel_.channel())),
      queriable_(statepb::QueriableStateStore::NewStub(channel_.channel())),
      multi_max_size_(statepb::TransactionalStoreMultiMaxSize::NewStub(channel_.channel())) {}

void GrpcStateStore::Init(const InitSpec& spec, StatusCallback done) {
  InitThenFeatures<statepb::InitRequest, statepb::InitResponse>(channel_, store_.get(), spec,
                                                                &features_, std::move(done));
}

std::vector<std::string> GrpcStateStore::Features() const { return features_.Get(); }

void GrpcStateStore::Ping(StatusCallback done) { PingWithin(kDefaultPingTimeout, std::move(done)); }

void GrpcStateStore::PingWithin(std::chrono::milliseconds timeout, StatusCallback done) {
  PingComponent(channel_, store_.get(), timeout, std::move(done));
}

void GrpcStateStore::Get(statepb::GetRequest request, const CallOptions& options,
                         Callback<statepb::GetResponse> done) {
  auto* stub = store_.get();
  StartUnaryCall<statepb::GetRequest, statepb::GetResponse>(
      channel_.NewCallContext(options), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) { stub->async()->Get(ctx, req, resp, cb); },
      Decoding(std::move(done), StateOperation::kRead));
}

void GrpcStateStore::Set(statepb::SetRequest request, const CallOptions& options,
                         StatusCallback done) {
  auto* stub = store_.get();
  StartUnaryCall<statepb::SetRequest, statepb::SetResponse>(
      channel_.NewCallContext(options), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) { stub->async()->Set(ctx, req, resp, cb); },
      StatusOnly<statepb::SetResponse>(std::move(done), StateOperation::kWrite));
}

void GrpcStateStore::Delete(statepb::DeleteRequest request, const CallOptions& options,
                            StatusCallback done) {
  auto* stub = store_.get();
  StartUnaryCall<statepb::DeleteRequest, statepb::DeleteResponse>(
      channel_.NewCallContext(options), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->Delete(ctx, req, resp, cb);
      },
      StatusOnly<statepb::DeleteResponse>(std::move(done), StateOperation::kWrite));
}

void GrpcStateStore::BulkGet(statepb::BulkGetRequest request, const CallOptions& options,
                             Callback<statepb::BulkGetResponse> done) {
  auto* stub = store_.get();
  StartUnaryCall<statepb::BulkGetRequest, statepb::BulkGetResponse>(
      channel_.NewCallContext(options), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->BulkGet(ctx, req, resp, cb);
      },
      Decoding(std::move(done), StateOperation::kRead));
}

void GrpcStateStore::BulkSet(statepb::BulkSetRequest request, const CallOptions& options,
                             StatusCallback done) {
  auto* stub = store_.get();
  StartUnaryCall<statepb::BulkSetRequest, statepb::BulkSetResponse>(
      channel_.NewCallContext(options), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->BulkSet(ctx, req, resp, cb);
      },
      StatusOnly<statepb::BulkSetResponse>(std::move(done), StateOperation::kWrite));
}

void GrpcStateStore::BulkDelete(statepb::BulkDeleteRequest request, const CallOptions& options,
                                StatusCallback done) {
  auto* stub = store_.get();
  StartUnaryCall<statepb::BulkDeleteRequest, statepb::BulkDeleteResponse>(
      channel_.NewCallContext(options), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->BulkDelete(ctx, req, resp, cb);
      },
      StatusOnly<statepb::BulkDeleteResponse>(std::move(done), StateOperation::kBulkDelete));
}

void GrpcStateStore::Transact(statepb::TransactionalStateRequest request,
                              const CallOptions& options, StatusCallback done) {
  auto* stub = transactional_.get();
  StartUnaryCall<statepb::TransactionalStateRequest, statepb::TransactionalStateResponse>(
      channel_.NewCallContext(options), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->Transact(ctx, req, resp, cb);
      },
      StatusOnly<statepb::TransactionalStateResponse>(std::move(done), StateOperation::kTransact));
}

void GrpcStateStore::Query(statepb::QueryRequest request, const CallOptions& options,
                           Callback<statepb::QueryResponse> done) {
  auto* stub = queriable_.get();
  StartUnaryCall<statepb::QueryRequest, statepb::QueryResponse>(
      channel_.NewCallContext(options), std::move(request),
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->Query(ctx, req, resp, cb);
      },
      Decoding(std::move(done), StateOperation::kRead));
}

void GrpcStateStore::MultiMaxSize(Callback<int64_t> done) {
  {
    std::lock_guard lock(mutex_);
    if (max_size_) {
      auto cached = *max_size_;
      done(grpc::Status::OK, cached);
      return;
    }
  }
  auto* stub = multi_max_size_.get();
  StartUnaryCall<statepb::MultiMaxSizeRequest, statepb::MultiMaxSizeResponse>(
      channel_.NewControlContext(std::chrono::seconds(5)), statepb::MultiMaxSizeRequest{},
      [stub](auto* ctx, auto* req, auto* resp, auto cb) {
        stub->async()->MultiMaxSize(ctx, req, resp, cb);
      },
      [this, done = std::move(done)](const grpc::Status& status,
                                     const statepb::MultiMaxSizeResponse& response) mutable {
        // Like Dapr: any failure (UNIMPLEMENTED included) means "no limit", remembered.
        int64_t max_size = status.ok() && response.max_size() > 0 ? response.max_size() : -1;
        if (!status.ok() && status.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
          PH_LOG_WARN("state", "{}: MultiMaxSize failed ({}); assuming no limit",
                      channel_.instance_name(), status.error_message());
        }
        {
          std::lock_guard lock(mutex_);
          max_size_ = max_size;
        }
        done(grpc::Status::OK, max_size);
      });
}

}  // namespace plughost
