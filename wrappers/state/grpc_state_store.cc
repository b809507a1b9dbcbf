#include "wrappers/state/grpc_state_store.h"

#include "host/common/log.h"
#include "wrappers/common/state_error_details.h"
#include "wrappers/common/unary_call.h"

namespace plughost {
namespace {

// A completion that translates the component's error details for `operation` on the way.
template <typename Response>
Callback<Response> Decoding(Callback<Response> done, StateOperation operation) {
  return [done = std::move(done), operation](grpc::Status status, Response response) mutable {
    if (!status.ok()) status = DecodeStateError(status, operation);
    done(std::move(status), std::move(response));
  };
}

// The same for calls whose response carries nothing the caller wants.
template <typename Response>
Callback<Response> DecodingStatus(StatusCallback done, StateOperation operation) {
  return Decoding(StatusOnly<Response>(std::move(done)), operation);
}

}  // namespace

void GrpcStateStore::Get(statepb::GetRequest request, const CallOptions& options,
                         Callback<statepb::GetResponse> done) {
  Call(&Async::Get, std::move(request), options, Decoding(std::move(done), StateOperation::kRead));
}

void GrpcStateStore::Set(statepb::SetRequest request, const CallOptions& options,
                         StatusCallback done) {
  Call(&Async::Set, std::move(request), options,
       DecodingStatus<statepb::SetResponse>(std::move(done), StateOperation::kWrite));
}

void GrpcStateStore::Delete(statepb::DeleteRequest request, const CallOptions& options,
                            StatusCallback done) {
  Call(&Async::Delete, std::move(request), options,
       DecodingStatus<statepb::DeleteResponse>(std::move(done), StateOperation::kWrite));
}

void GrpcStateStore::BulkGet(statepb::BulkGetRequest request, const CallOptions& options,
                             Callback<statepb::BulkGetResponse> done) {
  Call(&Async::BulkGet, std::move(request), options,
       Decoding(std::move(done), StateOperation::kRead));
}

void GrpcStateStore::BulkSet(statepb::BulkSetRequest request, const CallOptions& options,
                             StatusCallback done) {
  Call(&Async::BulkSet, std::move(request), options,
       DecodingStatus<statepb::BulkSetResponse>(std::move(done), StateOperation::kWrite));
}

void GrpcStateStore::BulkDelete(statepb::BulkDeleteRequest request, const CallOptions& options,
                                StatusCallback done) {
  Call(&Async::BulkDelete, std::move(request), options,
       DecodingStatus<statepb::BulkDeleteResponse>(std::move(done), StateOperation::kBulkDelete));
}

void GrpcStateStore::Transact(statepb::TransactionalStateRequest request,
                              const CallOptions& options, StatusCallback done) {
  StartUnaryCall(channel_.NewCallContext(options), transactional_.get(),
                 &statepb::TransactionalStateStore::Stub::async_interface::Transact,
                 std::move(request),
                 DecodingStatus<statepb::TransactionalStateResponse>(std::move(done),
                                                                     StateOperation::kTransact));
}

void GrpcStateStore::Query(statepb::QueryRequest request, const CallOptions& options,
                           Callback<statepb::QueryResponse> done) {
  StartUnaryCall(channel_.NewCallContext(options), queriable_.get(),
                 &statepb::QueriableStateStore::Stub::async_interface::Query, std::move(request),
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
  StartUnaryCall(
      channel_.NewControlContext(std::chrono::seconds(5)), multi_max_size_.get(),
      &statepb::TransactionalStoreMultiMaxSize::Stub::async_interface::MultiMaxSize,
      statepb::MultiMaxSizeRequest{},
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
