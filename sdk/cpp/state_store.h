// What a state store author implements: one object per component instance (per
// x-component-instance value), with synchronous methods that run on gRPC's callback threads.
// The SDK turns it into Dapr's dapr.proto.components.v1 state services (state_store_service.h).
//
// Rules for implementations:
// - Methods may be called concurrently (different keys, different callers): synchronise.
// - Methods must not block (no waiting on locks held for long, no network round trips); a store
//   whose work takes time overrides the Start* variant and answers through its UnaryReply.
// - Return errors as grpc::Status; use state_errors.h for ETag conflicts so apps see ABORTED.
//   Exceptions are caught and answered as INTERNAL, but do not rely on it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <grpcpp/support/status.h>

#include "dapr/proto/components/v1/state.pb.h"
#include "sdk/cpp/unary_reaction.h"
#include "sdk/cpp/worker_pool.h"

namespace plughost::sdk {

namespace statepb = ::dapr::proto::components::v1;
using GetRequest = statepb::GetRequest;
using GetResponse = statepb::GetResponse;
using SetRequest = statepb::SetRequest;
using DeleteRequest = statepb::DeleteRequest;
using BulkGetRequest = statepb::BulkGetRequest;
using BulkGetResponse = statepb::BulkGetResponse;
using BulkSetRequest = statepb::BulkSetRequest;
using BulkDeleteRequest = statepb::BulkDeleteRequest;
using TransactionalStateRequest = statepb::TransactionalStateRequest;

// Init metadata: the component entry's "metadata" in the host's config, values as text.
using Metadata = std::map<std::string, std::string>;

class StateStore {
 public:
  virtual ~StateStore() = default;

  // Called when the host creates the instance, and again whenever it re-initialises it (e.g.
  // after this process restarted). A non-OK status fails the instance. Default: accept.
  virtual grpc::Status Init(const Metadata& metadata);
  // Dapr feature strings: "ETAG", "TRANSACTIONAL", "TTL", "QUERY_API". Default: none. A
  // TransactionalStateStore always reports "TRANSACTIONAL" too.
  virtual std::vector<std::string> Features();
  // Health check: the host calls it every second or so. Default: OK.
  virtual grpc::Status Ping();
  // Where the default Start* variants, Init and Ping run: null (the default) for inline on
  // gRPC's threads (then nothing may block); a pool the store owns for stores whose calls wait
  // on a backend (each call then runs there on a copy of its request).
  virtual WorkerPool* workers() { return nullptr; }

  // A missing key is OK with an empty response (no data, no ETag).
  virtual grpc::Status Get(const GetRequest& request, GetResponse* response) = 0;
  virtual grpc::Status Set(const SetRequest& request) = 0;
  // Deleting a missing key is OK (unless the request carries an ETag: that is a mismatch).
  virtual grpc::Status Delete(const DeleteRequest& request) = 0;

  // Defaults loop over Get / Set / Delete, in order. BulkGet reports a failed item in its
  // `error` field (a missing key is an item with only its key). BulkSet and BulkDelete stop at
  // the first failure and return it, leaving earlier items applied: override them when the
  // store can write atomically.
  virtual grpc::Status BulkGet(const BulkGetRequest& request, BulkGetResponse* response);
  virtual grpc::Status BulkSet(const BulkSetRequest& request);
  virtual grpc::Status BulkDelete(const BulkDeleteRequest& request);

  // Asynchronous variants: the SDK calls these; by default they run the method above and
  // answer at once. Override one to answer later, from any thread, through `reply` (copy what
  // you need from the request first: it lives only until the reply or the caller's
  // cancellation). A call never answered ends when the caller gives up.
  virtual void StartGet(const GetRequest& request, UnaryReply<GetResponse> reply);
  virtual void StartSet(const SetRequest& request, UnaryReply<statepb::SetResponse> reply);
  virtual void StartDelete(const DeleteRequest& request, UnaryReply<statepb::DeleteResponse> reply);
  virtual void StartBulkGet(const BulkGetRequest& request, UnaryReply<BulkGetResponse> reply);
  virtual void StartBulkSet(const BulkSetRequest& request,
                            UnaryReply<statepb::BulkSetResponse> reply);
  virtual void StartBulkDelete(const BulkDeleteRequest& request,
                               UnaryReply<statepb::BulkDeleteResponse> reply);
};

// A state store that can apply several writes atomically. The SDK then also serves Dapr's
// TransactionalStateStore and TransactionalStoreMultiMaxSize services.
class TransactionalStateStore : public StateStore {
 public:
  // Applies every operation (set or delete) or none.
  virtual grpc::Status Transact(const TransactionalStateRequest& request) = 0;
  // The most operations one transaction may hold; -1 for no limit (the default).
  virtual int64_t MultiMaxSize();

  virtual void StartTransact(const TransactionalStateRequest& request,
                             UnaryReply<statepb::TransactionalStateResponse> reply);
};

}  // namespace plughost::sdk
