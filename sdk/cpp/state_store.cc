#include "sdk/cpp/state_store.h"

#include <utility>

namespace plughost::sdk {
namespace {

// Runs a synchronous write and answers its (empty) response.
template <typename Response, typename Write>
void AnswerWrite(const UnaryReply<Response>& reply, Write&& write) {
  grpc::Status status;
  try {
    status = std::forward<Write>(write)();
  } catch (...) {
    status = StatusFromException(std::current_exception());
  }
  reply(status);
}

template <typename Response, typename Read>
void AnswerRead(const UnaryReply<Response>& reply, Read&& read) {
  Response response;
  grpc::Status status;
  try {
    status = std::forward<Read>(read)(&response);
  } catch (...) {
    status = StatusFromException(std::current_exception());
  }
  reply(status, std::move(response));
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
  AnswerRead(reply, [&](GetResponse* response) { return Get(request, response); });
}

void StateStore::StartSet(const SetRequest& request, UnaryReply<statepb::SetResponse> reply) {
  AnswerWrite(reply, [&] { return Set(request); });
}

void StateStore::StartDelete(const DeleteRequest& request,
                             UnaryReply<statepb::DeleteResponse> reply) {
  AnswerWrite(reply, [&] { return Delete(request); });
}

void StateStore::StartBulkGet(const BulkGetRequest& request, UnaryReply<BulkGetResponse> reply) {
  AnswerRead(reply, [&](BulkGetResponse* response) { return BulkGet(request, response); });
}

void StateStore::StartBulkSet(const BulkSetRequest& request,
                              UnaryReply<statepb::BulkSetResponse> reply) {
  AnswerWrite(reply, [&] { return BulkSet(request); });
}

void StateStore::StartBulkDelete(const BulkDeleteRequest& request,
                                 UnaryReply<statepb::BulkDeleteResponse> reply) {
  AnswerWrite(reply, [&] { return BulkDelete(request); });
}

int64_t TransactionalStateStore::MultiMaxSize() { return -1; }

void TransactionalStateStore::StartTransact(
    const TransactionalStateRequest& request,
    UnaryReply<statepb::TransactionalStateResponse> reply) {
  AnswerWrite(reply, [&] { return Transact(request); });
}

}  // namespace plughost::sdk
