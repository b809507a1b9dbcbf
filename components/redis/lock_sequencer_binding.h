// The unary Redis kinds, each as Dapr (lock.redis, bindings.redis) or Layotto (sequencer redis)
// stores it:
// - lock.redis-lock: SET <resource> <owner> EX <expiry> NX; Unlock by owner through Dapr's Lua
//   (-1: LOCK_DOES_NOT_EXIST, -2: LOCK_BELONGS_TO_OTHERS).
// - sequencer.redis-sequencer: INCR <key>, so ids increase across every process using the key.
// - bindings.redis-bindings: create (SET, optional ttlInSeconds), get (GET, or GETDEL with
//   delete=true), delete (DEL), increment (INCR); request metadata `key` names the key.
#pragma once

#include "components/redis/backend.h"
#include "sdk/cpp/lock.h"
#include "sdk/cpp/output_binding.h"
#include "sdk/cpp/sequencer.h"

namespace plughost::redis {

class RedisLock final : public sdk::LockStore {
 public:
  grpc::Status Init(const sdk::Metadata& metadata) override { return backend_.Init(metadata); }
  grpc::Status Ping() override { return backend_.Ping(); }
  sdk::WorkerPool* workers() override { return backend_.workers(); }
  grpc::Status TryLock(const sdk::lockpb::TryLockRequest& request,
                       sdk::lockpb::TryLockResponse* response) override;
  grpc::Status Unlock(const sdk::lockpb::UnlockRequest& request,
                      sdk::lockpb::UnlockResponse* response) override;

 private:
  Backend backend_;
};

class RedisSequencer final : public sdk::Sequencer {
 public:
  grpc::Status Init(const sdk::Metadata& metadata) override { return backend_.Init(metadata); }
  grpc::Status Ping() override { return backend_.Ping(); }
  sdk::WorkerPool* workers() override { return backend_.workers(); }
  grpc::Status GetNextId(const sdk::sequencerpb::GetNextIdRequest& request,
                         sdk::sequencerpb::GetNextIdResponse* response) override;

 private:
  Backend backend_;
};

class RedisBinding final : public sdk::OutputBinding {
 public:
  grpc::Status Init(const sdk::Metadata& metadata) override { return backend_.Init(metadata); }
  grpc::Status Ping() override { return backend_.Ping(); }
  sdk::WorkerPool* workers() override { return backend_.workers(); }
  std::vector<std::string> Operations() override {
    return {"create", "get", "delete", "increment"};
  }
  grpc::Status Invoke(const sdk::bindingpb::InvokeRequest& request,
                      sdk::bindingpb::InvokeResponse* response) override;

 private:
  Backend backend_;
};

}  // namespace plughost::redis
