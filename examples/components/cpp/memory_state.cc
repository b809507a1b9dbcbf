#include "examples/components/cpp/memory_state.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sdk/cpp/state_errors.h"

namespace plughost::sample {
namespace {

constexpr std::string_view kDaprKeySeparator = "||";

// True for `hook` itself and for "<app-id>||<hook>", the form daprd (and hosts copying its
// key-prefix strategy) send.
bool IsHookKey(std::string_view key, std::string_view hook) {
  if (key == hook) return true;
  const size_t suffix = hook.size() + kDaprKeySeparator.size();
  return key.size() > suffix && key.ends_with(hook) &&
         key.substr(key.size() - suffix, kDaprKeySeparator.size()) == kDaprKeySeparator;
}

template <typename Int>
std::optional<Int> ParseDecimal(std::string_view text) {
  Int value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string Quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

grpc::Status InvalidArgument(std::string message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(message));
}

// Dapr reports a TTL'd entry's expiry as RFC 3339 UTC in the "ttlExpireTime" response metadata.
std::string FormatRfc3339(MemoryState::Clock::time_point when) {
  std::time_t seconds = MemoryState::Clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  size_t length = std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(buffer, length);
}

}  // namespace

grpc::Status MemoryState::Init(const sdk::Metadata& metadata) {
  std::lock_guard lock(mutex_);
  ++init_count_;
  int64_t max_ops = -1;
  if (auto it = metadata.find(kMaxTransactionOpsKey); it != metadata.end()) {
    std::optional<int64_t> parsed = ParseDecimal<int64_t>(it->second);
    if (!parsed || *parsed <= 0) {
      return InvalidArgument(std::string("metadata ") + kMaxTransactionOpsKey +
                             " must be a positive integer, got " + Quoted(it->second));
    }
    max_ops = *parsed;
  }
  init_metadata_ = metadata;
  max_transaction_ops_ = max_ops;
  return grpc::Status::OK;
}

std::vector<std::string> MemoryState::Features() { return {"ETAG", "TRANSACTIONAL", "TTL"}; }

int64_t MemoryState::MultiMaxSize() {
  std::lock_guard lock(mutex_);
  return max_transaction_ops_;
}

const MemoryState::Entry* MemoryState::FindLocked(const std::string& key,
                                                  const Batch& batch) const {
  if (auto staged = batch.find(key); staged != batch.end()) {
    return staged->second ? &*staged->second : nullptr;
  }
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  if (it->second.expires && *it->second.expires <= Clock::now()) return nullptr;
  return &it->second;
}

bool MemoryState::ReadLocked(const std::string& key, std::string* data, std::string* etag,
                             std::string* content_type,
                             std::map<std::string, std::string>* metadata) {
  if (IsHookKey(key, kInitMetadataKey)) {
    *data = nlohmann::json(init_metadata_).dump();
    *content_type = "application/json";
    return true;
  }
  if (IsHookKey(key, kInitCountKey)) {
    *data = std::to_string(init_count_);
    *content_type = "text/plain";
    return true;
  }
  if (IsHookKey(key, kStoredKeysKey)) {
    std::vector<std::string> keys;
    for (const auto& [stored, entry] : entries_) keys.push_back(stored);
    std::sort(keys.begin(), keys.end());
    *data = nlohmann::json(keys).dump();
    *content_type = "application/json";
    return true;
  }
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  const Entry& entry = it->second;
  if (entry.expires && *entry.expires <= Clock::now()) {
    // Expired entries are dropped when next read, which bounds what a sample needs to clean.
    entries_.erase(it);
    return false;
  }
  *data = entry.value;
  *etag = std::to_string(entry.version);
  *content_type = entry.content_type;
  if (entry.expires) (*metadata)["ttlExpireTime"] = FormatRfc3339(*entry.expires);
  return true;
}

grpc::Status MemoryState::StageSetLocked(const statepb::SetRequest& request, Batch* batch) {
  if (request.key().empty()) return InvalidArgument("set: key is empty");
  const Entry* current = FindLocked(request.key(), *batch);
  std::optional<uint64_t> current_version;
  if (current) current_version = current->version;

  // ETag and first-write rules (the SDK's messages and Dapr's error details).
  if (grpc::Status status = sdk::CheckVersionEtag(request, current_version); !status.ok()) {
    return status;
  }

  Entry entry;
  if (auto ttl = request.metadata().find(kTtlKey); ttl != request.metadata().end()) {
    std::optional<int64_t> seconds = ParseDecimal<int64_t>(ttl->second);
    if (!seconds || (*seconds <= 0 && *seconds != -1)) {
      return InvalidArgument(std::string("metadata ") + kTtlKey +
                             " must be a positive integer or -1, got " + Quoted(ttl->second));
    }
    if (*seconds > 0) entry.expires = Clock::now() + std::chrono::seconds(*seconds);
  }
  entry.value = request.value();
  entry.content_type = request.content_type();
  entry.version = next_version_++;
  (*batch)[request.key()] = std::move(entry);
  return grpc::Status::OK;
}

grpc::Status MemoryState::StageDeleteLocked(const statepb::DeleteRequest& request, Batch* batch) {
  if (request.key().empty()) return InvalidArgument("delete: key is empty");
  const Entry* current = FindLocked(request.key(), *batch);
  std::optional<uint64_t> current_version;
  if (current) current_version = current->version;
  if (grpc::Status status = sdk::CheckVersionEtag(request, current_version); !status.ok()) {
    return status;
  }
  (*batch)[request.key()] = std::nullopt;
  return grpc::Status::OK;
}

void MemoryState::CommitLocked(Batch batch) {
  for (auto& [key, entry] : batch) {
    if (entry) {
      entries_.insert_or_assign(key, std::move(*entry));
    } else {
      entries_.erase(key);
    }
  }
}

grpc::Status MemoryState::Get(const statepb::GetRequest& request, statepb::GetResponse* response) {
  std::lock_guard lock(mutex_);
  std::string data, etag, content_type;
  std::map<std::string, std::string> metadata;
  // A missing key is not an error in Dapr: the response is simply empty.
  if (!ReadLocked(request.key(), &data, &etag, &content_type, &metadata)) return grpc::Status::OK;
  response->set_data(std::move(data));
  if (!etag.empty()) response->mutable_etag()->set_value(std::move(etag));
  response->set_content_type(std::move(content_type));
  response->mutable_metadata()->insert(metadata.begin(), metadata.end());
  return grpc::Status::OK;
}

void MemoryState::StartGet(const statepb::GetRequest& request,
                           sdk::UnaryReply<statepb::GetResponse> reply) {
  // Test hook: dropping `reply` leaves the call to end at the caller's deadline or
  // cancellation, which shows whether a host bounds a hung component's calls.
  if (std::string_view(request.key()).ends_with(kHangKey)) return;
  if (std::string_view(request.key()).ends_with(kFlakyKey)) {
    bool fail = false;
    {
      std::lock_guard lock(mutex_);
      fail = flaky_gets_[request.key()]++ < kFlakyFailures;
    }
    if (fail) {
      reply(grpc::Status(grpc::StatusCode::UNAVAILABLE, "flaky store: try again"));
      return;
    }
  }
  sdk::TransactionalStateStore::StartGet(request, std::move(reply));
}

grpc::Status MemoryState::Set(const statepb::SetRequest& request) {
  std::lock_guard lock(mutex_);
  Batch batch;
  grpc::Status status = StageSetLocked(request, &batch);
  if (status.ok()) CommitLocked(std::move(batch));
  return status;
}

grpc::Status MemoryState::Delete(const statepb::DeleteRequest& request) {
  std::lock_guard lock(mutex_);
  Batch batch;
  grpc::Status status = StageDeleteLocked(request, &batch);
  if (status.ok()) CommitLocked(std::move(batch));
  return status;
}

grpc::Status MemoryState::BulkGet(const statepb::BulkGetRequest& request,
                                  statepb::BulkGetResponse* response) {
  std::lock_guard lock(mutex_);
  for (const statepb::GetRequest& item : request.items()) {
    statepb::BulkStateItem* out = response->add_items();
    out->set_key(item.key());
    std::string data, etag, content_type;
    std::map<std::string, std::string> metadata;
    // Missing keys still get an item (key only), as Dapr's stores report them.
    if (!ReadLocked(item.key(), &data, &etag, &content_type, &metadata)) continue;
    out->set_data(std::move(data));
    if (!etag.empty()) out->mutable_etag()->set_value(std::move(etag));
    out->set_content_type(std::move(content_type));
    out->mutable_metadata()->insert(metadata.begin(), metadata.end());
  }
  return grpc::Status::OK;
}

grpc::Status MemoryState::BulkSet(const statepb::BulkSetRequest& request) {
  std::lock_guard lock(mutex_);
  Batch batch;
  for (const statepb::SetRequest& item : request.items()) {
    grpc::Status status = StageSetLocked(item, &batch);
    if (!status.ok()) return status;
  }
  CommitLocked(std::move(batch));
  return grpc::Status::OK;
}

grpc::Status MemoryState::BulkDelete(const statepb::BulkDeleteRequest& request) {
  std::lock_guard lock(mutex_);
  for (const statepb::DeleteRequest& item : request.items()) {
    auto hook = item.metadata().find(kSimulateRowMismatchKey);
    if (hook == item.metadata().end() || hook->second != "true") continue;
    // Report what a SQL store would: every item was expected to delete a row, and only the
    // keys that exist now would have. Nothing is deleted.
    int64_t affected = 0;
    for (const statepb::DeleteRequest& other : request.items()) {
      if (FindLocked(other.key(), Batch{}) != nullptr) ++affected;
    }
    return sdk::BulkDeleteRowMismatch(request.items_size(), affected);
  }
  Batch batch;
  for (const statepb::DeleteRequest& item : request.items()) {
    grpc::Status status = StageDeleteLocked(item, &batch);
    if (!status.ok()) return status;
  }
  CommitLocked(std::move(batch));
  return grpc::Status::OK;
}

grpc::Status MemoryState::Transact(const statepb::TransactionalStateRequest& request) {
  std::lock_guard lock(mutex_);
  if (max_transaction_ops_ > 0 && request.operations_size() > max_transaction_ops_) {
    return InvalidArgument("transaction has " + std::to_string(request.operations_size()) +
                           " operations, more than maxTransactionOps " +
                           std::to_string(max_transaction_ops_));
  }
  Batch batch;
  int index = 0;
  for (const statepb::TransactionalStateOperation& operation : request.operations()) {
    grpc::Status status;
    switch (operation.request_case()) {
      case statepb::TransactionalStateOperation::kSet:
        status = StageSetLocked(operation.set(), &batch);
        break;
      case statepb::TransactionalStateOperation::kDelete:
        status = StageDeleteLocked(operation.delete_(), &batch);
        break;
      default:
        status = InvalidArgument("transaction operation " + std::to_string(index) +
                                 " is neither set nor delete");
        break;
    }
    if (!status.ok()) return status;
    ++index;
  }
  CommitLocked(std::move(batch));
  return grpc::Status::OK;
}

}  // namespace plughost::sample
