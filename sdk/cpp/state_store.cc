#include "sdk/cpp/state_store.h"

#include <utility>

namespace plughost::sdk {
namespace {

// Runs `call(request, &response)` and answers it: here, or on `workers` with a copy of the
// request (the caller may give up, freeing it, before a worker runs).
template <typename Request, typename Response, typename Call>
void Answer(WorkerPool* workers, const Request& request, UnaryReply<Response> reply, Call call) {
  auto run = [reply = std::move(reply), call](const Request& in) {
    Response response;
    grpc::Status status;
    try {
      status = call(in, &response);
    } catch (...) {
      status = StatusFromException(std::current_exception());
    }
    reply(status, std::move(response));
  };
  if (workers == nullptr) {
    run(request);
  } else {
    workers->Post([run, copy = request] { run(copy); });
  }
}

}  // namespace

grpc::Status StateStore::Init(const Metadata& /*metadata*/) { return grpc::Status::OK; }

std::vector<std::string> StateStore::Features() { return {}; }

grpc::Status StateStore::Ping() { return grpc::Status::OK; }

grpc::Status StateStore::BulkGet(const BulkGetRequest& request, BulkGetResponse* response) {
  for (const GetRequest& item : request.items()) {
    GetResponse got;
    grpc::Status status = Get(item, &got);
    statepb::BulkStateItem* out = response->add_items();
    out->set_key(item.key());
    if (!status.ok()) {
      out->set_error(status.error_message());
      continue;
    }
    out->set_data(std::move(*got.mutable_data()));
    if (got.has_etag()) *out->mutable_etag() = std::move(*got.mutable_etag());
    out->mutable_metadata()->swap(*got.mutable_metadata());
    out->set_content_type(std::move(*got.mutable_content_type()));
  }
  return grpc::Status::OK;
}

grpc::Status StateStore::BulkSet(const BulkSetRequest& request) {
  for (const SetRequest& item : request.items()) {
    if (grpc::Status status = Set(item); !status.ok()) return status;
  }
  return grpc::Status::OK;
}

grpc::Status StateStore::BulkDelete(const BulkDeleteRequest& request) {
  for (const DeleteRequest& item : request.items()) {
    if (grpc::Status status = Delete(item); !status.ok()) return status;
  }
  return grpc::Status::OK;
}

void StateStore::StartGet(const GetRequest& request, UnaryReply<GetResponse> reply) {
  Answer(workers(), request, std::move(reply),
         [this](const auto& in, GetResponse* response) { return Get(in, response); });
}

void StateStore::StartSet(const SetRequest& request, UnaryReply<statepb::SetResponse> reply) {
  Answer(workers(), request, std::move(reply), [this](const auto& in, auto*) { return Set(in); });
}

void StateStore::StartDelete(const DeleteRequest& request,
                             UnaryReply<statepb::DeleteResponse> reply) {
  Answer(workers(), request, std::move(reply),
         [this](const auto& in, auto*) { return Delete(in); });
}

void StateStore::StartBulkGet(const BulkGetRequest& request, UnaryReply<BulkGetResponse> reply) {
  Answer(workers(), request, std::move(reply),
         [this](const auto& in, BulkGetResponse* response) { return BulkGet(in, response); });
}

void StateStore::StartBulkSet(const BulkSetRequest& request,
                              UnaryReply<statepb::BulkSetResponse> reply) {
  Answer(workers(), request, std::move(reply),
         [this](const auto& in, auto*) { return BulkSet(in); });
}

void StateStore::StartBulkDelete(const BulkDeleteRequest& request,
                                 UnaryReply<statepb::BulkDeleteResponse> reply) {
  Answer(workers(), request, std::move(reply),
         [this](const auto& in, auto*) { return BulkDelete(in); });
}

int64_t TransactionalStateStore::MultiMaxSize() { return -1; }

void TransactionalStateStore::StartTransact(const TransactionalStateRequest& request,
                                            UnaryReply<statepb::TransactionalStateResponse> reply) {
  Answer(workers(), request, std::move(reply),
         [this](const auto& in, auto*) { return Transact(in); });
}

}  // namespace plughost::sdk
