// Native interface of a state store. Built-in stores implement it directly; the gRPC wrapper
// implements it over a component socket. Messages are the Dapr component protocol's own types,
// so a pluggable call forwards without re-encoding.
//
// Error convention (what implementations report, whatever their backend):
//   ABORTED           the ETag did not match (first-write conflict)
//   INVALID_ARGUMENT  with the ETag mark (state_errors.h): the ETag is malformed; without it,
//                     the store refused some other part of the request, in its own words
//   INTERNAL          a bulk delete affected fewer rows than expected
//   UNIMPLEMENTED     the store does not support the operation (Query, Transact)
#pragma once

#include <cstdint>

#include "dapr/proto/components/v1/state.pb.h"
#include "host/components/component.h"

namespace plughost {

namespace statepb = ::dapr::proto::components::v1;

// Feature strings a state store may report.
inline constexpr char kFeatureETag[] = "ETAG";
inline constexpr char kFeatureTransactional[] = "TRANSACTIONAL";
inline constexpr char kFeatureQueryAPI[] = "QUERY_API";
inline constexpr char kFeatureTTL[] = "TTL";

class StateStore : public Component {
 public:
  virtual void Get(statepb::GetRequest request, const CallOptions& options,
                   Callback<statepb::GetResponse> done) = 0;
  virtual void Set(statepb::SetRequest request, const CallOptions& options,
                   StatusCallback done) = 0;
  virtual void Delete(statepb::DeleteRequest request, const CallOptions& options,
                      StatusCallback done) = 0;
  virtual void BulkGet(statepb::BulkGetRequest request, const CallOptions& options,
                       Callback<statepb::BulkGetResponse> done) = 0;
  virtual void BulkSet(statepb::BulkSetRequest request, const CallOptions& options,
                       StatusCallback done) = 0;
  virtual void BulkDelete(statepb::BulkDeleteRequest request, const CallOptions& options,
                          StatusCallback done) = 0;
  // Only called when Features() contains TRANSACTIONAL.
  virtual void Transact(statepb::TransactionalStateRequest request, const CallOptions& options,
                        StatusCallback done) = 0;
  virtual void Query(statepb::QueryRequest request, const CallOptions& options,
                     Callback<statepb::QueryResponse> done) = 0;
  // Largest number of operations one transaction may hold; -1 means no limit.
  virtual void MultiMaxSize(Callback<int64_t> done) = 0;
};

}  // namespace plughost
