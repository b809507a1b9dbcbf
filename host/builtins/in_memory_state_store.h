// state.in-memory: a process-local state store with ETags, first-write/last-write concurrency,
// transactions, TTL ("ttlInSeconds" request metadata) and bulk operations.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "host/components/state_store.h"

namespace plughost {

class InMemoryStateStore : public StateStore {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // `clock` is injectable so tests can move time forward for TTL.
  explicit InMemoryStateStore(Clock clock = nullptr);

  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override;
  void Ping(StatusCallback done) override;

  void Get(statepb::GetRequest request, const CallOptions& options,
           Callback<statepb::GetResponse> done) override;
  void Set(statepb::SetRequest request, const CallOptions& options, StatusCallback done) override;
  void Delete(statepb::DeleteRequest request, const CallOptions& options,
              StatusCallback done) override;
  void BulkGet(statepb::BulkGetRequest request, const CallOptions& options,
               Callback<statepb::BulkGetResponse> done) override;
  void BulkSet(statepb::BulkSetRequest request, const CallOptions& options,
               StatusCallback done) override;
  void BulkDelete(statepb::BulkDeleteRequest request, const CallOptions& options,
                  StatusCallback done) override;
  void Transact(statepb::TransactionalStateRequest request, const CallOptions& options,
                StatusCallback done) override;
  void Query(statepb::QueryRequest request, const CallOptions& options,
             Callback<statepb::QueryResponse> done) override;
  void MultiMaxSize(Callback<int64_t> done) override;

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  // Keys with a TTL, soonest expiry first, so expired entries are dropped without a full scan.
  using ExpiryIndex = std::multimap<TimePoint, std::string>;

  struct Entry {
    std::string value;
    std::string content_type;
    uint64_t version = 0;  // the ETag, as a decimal string on the wire
    // This entry's place in expiries_ (its key is the expiry time); nullopt: never expires.
    std::optional<ExpiryIndex::iterator> expiry;
  };

  // Both return the error to report, or OK; they expect mutex_ held and change nothing.
  grpc::Status CheckSetLocked(const statepb::SetRequest& request);
  grpc::Status CheckDeleteLocked(const statepb::DeleteRequest& request);
  // Apply a request that its Check accepted; they cannot fail.
  void ApplySetLocked(statepb::SetRequest& request);
  void ApplyDeleteLocked(const statepb::DeleteRequest& request);
  // Copies an entry into a GetResponse or BulkStateItem (they share field names).
  template <typename Item>
  void FillItemLocked(const Entry& entry, Item* out);
  // The entry under `key` unless it is missing or expired.
  const Entry* FindLiveLocked(const std::string& key);
  // Removes the entry and its expiry index slot.
  void EraseLocked(std::unordered_map<std::string, Entry>::iterator it);
  // Drops every entry whose expiry has passed.
  void SweepExpiredLocked();

  Clock clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  ExpiryIndex expiries_;
  uint64_t next_version_ = 1;
};

}  // namespace plughost
