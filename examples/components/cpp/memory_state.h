// The sample's state store, on the SDK: one in-memory key/value store per component instance
// (the SDK keeps one MemoryState per x-component-instance), with Dapr's ETag rules (an ETag is
// the entry's decimal version), first-write concurrency, TTL ("ttlInSeconds" request metadata),
// atomic bulk and transactional writes, and the test hooks below.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <grpcpp/support/status.h>

#include "dapr/proto/components/v1/state.pb.h"
#include "sdk/cpp/state_store.h"

namespace plughost::sample {

namespace statepb = ::dapr::proto::components::v1;

// Test hooks: Get of these keys (bare, or after daprd's "<app>||" prefix) reports how the
// instance was initialised instead of reading stored data.
inline constexpr char kInitMetadataKey[] = "__init_metadata__";
inline constexpr char kInitCountKey[] = "__init_count__";
// Test hook: the keys exactly as the store received them (a sorted JSON array), which shows
// whether the host prefixed them.
inline constexpr char kStoredKeysKey[] = "__stored_keys__";
// Test hook: a Get of a key ending in this never answers until the caller gives up.
inline constexpr std::string_view kHangKey = "__hang__";
// Test hook: the first kFlakyFailures Gets of a key ending in this fail with UNAVAILABLE, as a
// store failing for a moment would; later ones answer as usual (a host's retries then succeed).
inline constexpr std::string_view kFlakyKey = "__flaky__";
inline constexpr int kFlakyFailures = 2;
// Test hook: a BulkDelete item carrying this metadata set to "true" makes the whole call fail
// with Dapr's bulk-delete row-mismatch error, so hosts can exercise that error end to end.
inline constexpr char kSimulateRowMismatchKey[] = "__simulate_row_mismatch__";
// Init metadata bounding the operations in one transaction (reported by MultiMaxSize).
inline constexpr char kMaxTransactionOpsKey[] = "maxTransactionOps";
// Request metadata giving an entry's lifetime.
inline constexpr char kTtlKey[] = "ttlInSeconds";

class MemoryState final : public sdk::TransactionalStateStore {
 public:
  using Clock = std::chrono::system_clock;

  // Records the metadata. Every call is counted, failed ones included, so tests can see
  // exactly how often the host called Init.
  grpc::Status Init(const sdk::Metadata& metadata) override;
  std::vector<std::string> Features() override;
  // -1 (no limit) unless Init metadata set maxTransactionOps.
  int64_t MultiMaxSize() override;

  grpc::Status Get(const statepb::GetRequest& request, statepb::GetResponse* response) override;
  // A Get of a key ending in kHangKey is never answered (the SDK ends it when the caller gives
  // up); one of a key ending in kFlakyKey fails its first kFlakyFailures times; every other Get
  // runs Get() at once.
  void StartGet(const statepb::GetRequest& request,
                sdk::UnaryReply<statepb::GetResponse> reply) override;
  grpc::Status Set(const statepb::SetRequest& request) override;
  grpc::Status Delete(const statepb::DeleteRequest& request) override;
  grpc::Status BulkGet(const statepb::BulkGetRequest& request,
                       statepb::BulkGetResponse* response) override;
  // Bulk writes and transactions are all-or-nothing: the first failing item fails the call and
  // nothing is written.
  grpc::Status BulkSet(const statepb::BulkSetRequest& request) override;
  grpc::Status BulkDelete(const statepb::BulkDeleteRequest& request) override;
  grpc::Status Transact(const statepb::TransactionalStateRequest& request) override;

 private:
  struct Entry {
    std::string value;
    std::string content_type;
    uint64_t version = 0;
    std::optional<Clock::time_point> expires;
  };
  // Writes staged by one call; absent optional = deleted. Committed only if every item passed.
  using Batch = std::unordered_map<std::string, std::optional<Entry>>;

  // All *Locked members expect mutex_ held.
  const Entry* FindLocked(const std::string& key, const Batch& batch) const;
  grpc::Status StageSetLocked(const statepb::SetRequest& request, Batch* batch);
  grpc::Status StageDeleteLocked(const statepb::DeleteRequest& request, Batch* batch);
  void CommitLocked(Batch batch);
  // Fills what a read of `key` returns; false if the key holds nothing.
  bool ReadLocked(const std::string& key, std::string* data, std::string* etag,
                  std::string* content_type, std::map<std::string, std::string>* metadata);

  std::mutex mutex_;
  std::map<std::string, std::string> init_metadata_;
  uint64_t init_count_ = 0;
  std::map<std::string, int> flaky_gets_;  // by key: Gets so far of a kFlakyKey key
  int64_t max_transaction_ops_ = -1;
  std::unordered_map<std::string, Entry> entries_;
  // Versions come from one counter per instance, so a key deleted and written again never
  // repeats an ETag an old reader may still hold.
  uint64_t next_version_ = 1;
};

}  // namespace plughost::sample
