#include "host/builtins/in_memory_state_store.h"

#include <fmt/format.h>

#include <charconv>
#include <ctime>
#include <limits>
#include <utility>

#include "host/components/state_errors.h"

namespace plughost {
namespace {

// Request metadata key carrying a per-item TTL, and the response key reporting its expiry
// (both named as in Dapr, so apps and SDKs read them unchanged).
constexpr char kTtlKey[] = "ttlInSeconds";
constexpr char kTtlExpireTimeKey[] = "ttlExpireTime";

using Metadata = google::protobuf::Map<std::string, std::string>;

// An empty ETag message means "no etag": daprd sends one only when the app supplied it.
bool HasETag(bool has_field, const statepb::Etag& etag) {
  return has_field && !etag.value().empty();
}

bool ParseVersion(const std::string& text, uint64_t* version) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *version);
  return ec == std::errc() && ptr == end && !text.empty();
}

// Reads "ttlInSeconds" into `ttl`; nullopt means the item never expires. Like Dapr, -1 (and 0)
// mean "no TTL" and anything below -1 or not an integer is rejected.
grpc::Status ParseTtl(const Metadata& metadata, const std::string& key,
                      std::optional<std::chrono::seconds>* ttl) {
  *ttl = std::nullopt;
  auto it = metadata.find(kTtlKey);
  if (it == metadata.end() || it->second.empty()) return grpc::Status::OK;
  const std::string& text = it->second;
  int64_t seconds = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, seconds);
  if (ec != std::errc() || ptr != end) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        fmt::format("metadata {} \"{}\" for key \"{}\" is not an integer", kTtlKey, text, key));
  }
  // The upper bound keeps now + ttl far from overflowing the clock's range.
  if (seconds < -1 || seconds > std::numeric_limits<int32_t>::max()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        fmt::format("metadata {} \"{}\" for key \"{}\" must be between -1 and {}",
                                    kTtlKey, text, key, std::numeric_limits<int32_t>::max()));
  }
  if (seconds > 0) *ttl = std::chrono::seconds(seconds);
  return grpc::Status::OK;
}

// The ETag rules shared by Set and Delete. `live` is the current unexpired entry or nullptr.
template <typename Entry>
grpc::Status CheckETag(const Entry* live, bool has_etag, const std::string& etag,
                       statepb::StateOptions::StateConcurrency concurrency,
                       const std::string& key) {
  if (has_etag) {
    uint64_t version = 0;
    if (!ParseVersion(etag, &version)) {
      return EtagInvalidError(fmt::format(
          "malformed etag \"{}\" for key \"{}\": expected a decimal version", etag, key));
    }
    if (live == nullptr || live->version != version) {
      return grpc::Status(grpc::StatusCode::ABORTED,
                          fmt::format("etag mismatch for key \"{}\"", key));
    }
    return grpc::Status::OK;
  }
  // First-write-wins: once a key exists, only a writer holding its current etag may change it.
  if (concurrency == statepb::StateOptions::CONCURRENCY_FIRST_WRITE && live != nullptr) {
    return grpc::Status(
        grpc::StatusCode::ABORTED,
        fmt::format("etag mismatch for key \"{}\": first-write concurrency needs the etag of the "
                    "existing value",
                    key));
  }
  return grpc::Status::OK;
}

// RFC 3339 in UTC with second precision, the form Dapr reports ttlExpireTime in.
std::string FormatRfc3339Utc(std::chrono::system_clock::time_point when) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  size_t n = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(text, n);
}

}  // namespace

InMemoryStateStore::InMemoryStateStore(Clock clock)
    : clock_(clock ? std::move(clock) : Clock(&std::chrono::steady_clock::now)) {}

void InMemoryStateStore::Init(const InitSpec& /*spec*/, StatusCallback done) {
  done(grpc::Status::OK);
}

std::vector<std::string> InMemoryStateStore::Features() const {
  return {kFeatureETag, kFeatureTransactional, kFeatureTTL};
}

void InMemoryStateStore::Ping(StatusCallback done) { done(grpc::Status::OK); }

void InMemoryStateStore::Get(statepb::GetRequest request, const CallOptions& /*options*/,
                             Callback<statepb::GetResponse> done) {
  statepb::GetResponse response;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    SweepExpiredLocked();
    // A missing key is not an error: the response stays empty (no data, no etag).
    if (const Entry* entry = FindLiveLocked(request.key())) FillItemLocked(*entry, &response);
  }
  done(grpc::Status::OK, std::move(response));
}

void InMemoryStateStore::Set(statepb::SetRequest request, const CallOptions& /*options*/,
                             StatusCallback done) {
  grpc::Status status;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    SweepExpiredLocked();
    status = CheckSetLocked(request);
    if (status.ok()) ApplySetLocked(request);
  }
  done(std::move(status));
}

void InMemoryStateStore::Delete(statepb::DeleteRequest request, const CallOptions& /*options*/,
                                StatusCallback done) {
  grpc::Status status;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    SweepExpiredLocked();
    status = CheckDeleteLocked(request);
    if (status.ok()) ApplyDeleteLocked(request);
  }
  done(std::move(status));
}

void InMemoryStateStore::BulkGet(statepb::BulkGetRequest request, const CallOptions& /*options*/,
                                 Callback<statepb::BulkGetResponse> done) {
  statepb::BulkGetResponse response;
  {
    // One lock for all keys: the app sees a single consistent snapshot.
    std::lock_guard<std::mutex> lock(mutex_);
    SweepExpiredLocked();
    for (const statepb::GetRequest& item : request.items()) {
      statepb::BulkStateItem* out = response.add_items();
      out->set_key(item.key());
      if (const Entry* entry = FindLiveLocked(item.key())) FillItemLocked(*entry, out);
    }
  }
  done(grpc::Status::OK, std::move(response));
}

void InMemoryStateStore::BulkSet(statepb::BulkSetRequest request, const CallOptions& /*options*/,
                                 StatusCallback done) {
  grpc::Status status;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    SweepExpiredLocked();
    // Every item is checked before any is written, so a failure leaves the store untouched.
    for (const statepb::SetRequest& item : request.items()) {
      status = CheckSetLocked(item);
      if (!status.ok()) break;
    }
    if (status.ok()) {
      for (statepb::SetRequest& item : *request.mutable_items()) ApplySetLocked(item);
    }
  }
  done(std::move(status));
}

void InMemoryStateStore::BulkDelete(statepb::BulkDeleteRequest request,
                                    const CallOptions& /*options*/, StatusCallback done) {
  grpc::Status status;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    SweepExpiredLocked();
    for (const statepb::DeleteRequest& item : request.items()) {
      status = CheckDeleteLocked(item);
      if (!status.ok()) break;
    }
    if (status.ok()) {
      for (const statepb::DeleteRequest& item : request.items()) ApplyDeleteLocked(item);
    }
  }
  done(std::move(status));
}

void InMemoryStateStore::Transact(statepb::TransactionalStateRequest request,
                                  const CallOptions& /*options*/, StatusCallback done) {
  grpc::Status status;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    SweepExpiredLocked();
    // As in Dapr's in-memory store, every operation is checked against the state before the
    // transaction; only when all pass are they applied, in order, under the same lock.
    for (int i = 0; i < request.operations_size() && status.ok(); ++i) {
      const statepb::TransactionalStateOperation& op = request.operations(i);
      switch (op.request_case()) {
        case statepb::TransactionalStateOperation::kSet:
          status = CheckSetLocked(op.set());
          break;
        case statepb::TransactionalStateOperation::kDelete:
          status = CheckDeleteLocked(op.delete_());
          break;
        default:
          status = grpc::Status(
              grpc::StatusCode::INVALID_ARGUMENT,
              fmt::format("transaction operation {} is neither a set nor a delete", i));
      }
    }
    if (status.ok()) {
      for (statepb::TransactionalStateOperation& op : *request.mutable_operations()) {
        if (op.has_set()) {
          ApplySetLocked(*op.mutable_set());
        } else {
          ApplyDeleteLocked(op.delete_());
        }
      }
    }
  }
  done(std::move(status));
}

void InMemoryStateStore::Query(statepb::QueryRequest /*request*/, const CallOptions& /*options*/,
                               Callback<statepb::QueryResponse> done) {
  done(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "state.in-memory does not support query"),
       statepb::QueryResponse());
}

void InMemoryStateStore::MultiMaxSize(Callback<int64_t> done) { done(grpc::Status::OK, -1); }

grpc::Status InMemoryStateStore::CheckSetLocked(const statepb::SetRequest& request) {
  std::optional<std::chrono::seconds> ttl;
  grpc::Status status = ParseTtl(request.metadata(), request.key(), &ttl);
  if (!status.ok()) return status;
  return CheckETag(FindLiveLocked(request.key()), HasETag(request.has_etag(), request.etag()),
                   request.etag().value(), request.options().concurrency(), request.key());
}

grpc::Status InMemoryStateStore::CheckDeleteLocked(const statepb::DeleteRequest& request) {
  return CheckETag(FindLiveLocked(request.key()), HasETag(request.has_etag(), request.etag()),
                   request.etag().value(), request.options().concurrency(), request.key());
}

void InMemoryStateStore::ApplySetLocked(statepb::SetRequest& request) {
  std::optional<std::chrono::seconds> ttl;
  // Already validated by CheckSetLocked; a failure here cannot happen.
  (void)ParseTtl(request.metadata(), request.key(), &ttl);

  Entry& entry = entries_[request.key()];
  if (entry.expiry) {
    expiries_.erase(*entry.expiry);
    entry.expiry.reset();
  }
  entry.value = std::move(*request.mutable_value());
  entry.content_type = std::move(*request.mutable_content_type());
  entry.version = next_version_++;
  if (ttl) entry.expiry = expiries_.emplace(clock_() + *ttl, request.key());
}

void InMemoryStateStore::ApplyDeleteLocked(const statepb::DeleteRequest& request) {
  auto it = entries_.find(request.key());
  if (it != entries_.end()) EraseLocked(it);
}

template <typename Item>
void InMemoryStateStore::FillItemLocked(const Entry& entry, Item* out) {
  out->set_data(entry.value);
  out->mutable_etag()->set_value(std::to_string(entry.version));
  out->set_content_type(entry.content_type);
  if (entry.expiry) {
    // The store runs on a steady clock; the app wants wall-clock time.
    auto remaining = (*entry.expiry)->first - clock_();
    auto expires = std::chrono::system_clock::now() +
                   std::chrono::duration_cast<std::chrono::system_clock::duration>(remaining);
    (*out->mutable_metadata())[kTtlExpireTimeKey] = FormatRfc3339Utc(expires);
  }
}

const InMemoryStateStore::Entry* InMemoryStateStore::FindLiveLocked(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  const Entry& entry = it->second;
  if (entry.expiry && (*entry.expiry)->first <= clock_()) {
    EraseLocked(it);
    return nullptr;
  }
  return &entry;
}

void InMemoryStateStore::EraseLocked(std::unordered_map<std::string, Entry>::iterator it) {
  if (it->second.expiry) expiries_.erase(*it->second.expiry);
  entries_.erase(it);
}

void InMemoryStateStore::SweepExpiredLocked() {
  // Without this, keys that expire and are never read again would stay in memory forever.
  const TimePoint now = clock_();
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    auto entry = entries_.find(expiries_.begin()->second);
    // The index holds exactly one slot per entry with a TTL, so the entry is always there.
    if (entry != entries_.end()) {
      EraseLocked(entry);
    } else {
      expiries_.erase(expiries_.begin());
    }
  }
}

}  // namespace plughost
