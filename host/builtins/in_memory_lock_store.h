// lock.in-memory: a process-local lock store. Not reentrant (a holder asking again is refused
// like anyone else), TryLock never waits, and a lock past its expiry counts as free (expiry is
// checked when a resource is next touched; expired entries are dropped as calls come in).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "host/components/lock_store.h"

namespace plughost {

class InMemoryLockStore : public LockStore {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // `clock` is injectable so tests can move time past an expiry.
  explicit InMemoryLockStore(Clock clock = nullptr);

  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override { return {}; }
  void Ping(StatusCallback done) override { done(grpc::Status::OK); }

  void TryLock(lockpb::TryLockRequest request, const CallOptions& options,
               Callback<lockpb::TryLockResponse> done) override;
  void Unlock(lockpb::UnlockRequest request, const CallOptions& options,
              Callback<lockpb::UnlockResponse> done) override;

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  // Held resources, soonest expiry first, so expired ones are dropped without a full scan.
  using ExpiryIndex = std::multimap<TimePoint, std::string>;

  struct Held {
    std::string owner;
    ExpiryIndex::iterator expiry;  // its slot in expiries_; the key is the expiry time
  };

  // Drops every lock whose expiry has passed; expects mutex_ held.
  void SweepExpiredLocked(TimePoint now);

  Clock clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, Held> held_;
  ExpiryIndex expiries_;
};

}  // namespace plughost
