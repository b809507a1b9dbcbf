#include "components/redis/lock_sequencer_binding.h"

#include <charconv>

namespace plughost::redis {
namespace {

// Dapr's unlock script (lock/redis): -1 no such lock, -2 another owner, else DEL's count.
constexpr char kUnlockScript[] = R"lua(
local v = redis.call("get", KEYS[1])
if v == false then
  return -1
end
if v ~= ARGV[1] then
  return -2
end
return redis.call("del", KEYS[1]))lua";

grpc::Status Invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

// Binding TTL from request metadata: ttlInSeconds (integer) or ttl (Go duration or integer
// seconds), as Dapr's bindings.redis reads them. 0 when absent.
absl::StatusOr<int64_t> BindingTtl(
    const google::protobuf::Map<std::string, std::string>& metadata) {
  for (const char* name : {"ttlInSeconds", "ttl"}) {
    auto it = metadata.find(name);
    if (it == metadata.end() || it->second.empty()) continue;
    int64_t seconds = 0;
    const std::string& text = it->second;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (error != std::errc() || end != text.data() + text.size()) {
      auto duration = ParseDuration(text);
      if (!duration) return absl::InvalidArgumentError(std::string(name) + ": not a duration");
      seconds = duration->count() / 1000;
    }
    if (seconds <= 0) {
      return absl::InvalidArgumentError(std::string(name) + " must be higher than zero");
    }
    return seconds;
  }
  return 0;
}

}  // namespace

grpc::Status RedisLock::TryLock(const sdk::lockpb::TryLockRequest& request,
                                sdk::lockpb::TryLockResponse* response) {
  if (request.resource_id().empty()) return Invalid("resource_id is required");
  if (request.lock_owner().empty()) return Invalid("lock_owner is required");
  if (request.expiry_in_seconds() <= 0) return Invalid("expiry_in_seconds must be positive");
  auto client = backend_.client();
  if (!client.ok()) return ToGrpc(client.status());
  auto reply = RunChecked(**client, {"SET", request.resource_id(), request.lock_owner(), "EX",
                                     std::to_string(request.expiry_in_seconds()), "NX"});
  if (!reply.ok()) return ToGrpc(reply.status());
  response->set_success((*reply)->type == REDIS_REPLY_STATUS);  // OK; nil when held
  return grpc::Status::OK;
}

grpc::Status RedisLock::Unlock(const sdk::lockpb::UnlockRequest& request,
                               sdk::lockpb::UnlockResponse* response) {
  auto client = backend_.client();
  if (!client.ok()) return ToGrpc(client.status());
  auto reply = RunChecked(
      **client, {"EVAL", kUnlockScript, "1", request.resource_id(), request.lock_owner()});
  if (!reply.ok()) return ToGrpc(reply.status());
  using Status = sdk::lockpb::UnlockResponse;
  // The script answers 1 (released), -1 (no such lock) or -2 (held by another owner).
  Status::Status outcome = Status::INTERNAL_ERROR;
  if ((*reply)->type == REDIS_REPLY_INTEGER) {
    if ((*reply)->integer >= 0) {
      outcome = Status::SUCCESS;
    } else if ((*reply)->integer == -1) {
      outcome = Status::LOCK_DOES_NOT_EXIST;
    } else if ((*reply)->integer == -2) {
      outcome = Status::LOCK_BELONGS_TO_OTHERS;
    }
  }
  response->set_status(outcome);
  return grpc::Status::OK;
}

grpc::Status RedisSequencer::GetNextId(const sdk::sequencerpb::GetNextIdRequest& request,
                                       sdk::sequencerpb::GetNextIdResponse* response) {
  if (request.key().empty()) return Invalid("key is required");
  auto client = backend_.client();
  if (!client.ok()) return ToGrpc(client.status());
  auto reply = RunChecked(**client, {"INCR", request.key()});
  if (!reply.ok()) return ToGrpc(reply.status());
  response->set_next_id((*reply)->integer);
  return grpc::Status::OK;
}

grpc::Status RedisBinding::Invoke(const sdk::bindingpb::InvokeRequest& request,
                                  sdk::bindingpb::InvokeResponse* response) {
  auto key_it = request.metadata().find("key");
  if (key_it == request.metadata().end() || key_it->second.empty()) {
    return Invalid("redis binding: missing key in request metadata");
  }
  const std::string& key = key_it->second;
  const std::string& operation = request.operation();
  if (operation != "create" && operation != "get" && operation != "delete" &&
      operation != "increment") {
    return Invalid("invalid operation type: " + operation);
  }
  auto client = backend_.client();
  if (!client.ok()) return ToGrpc(client.status());
  if (operation == "get") {
    auto del = request.metadata().find("delete");
    bool and_delete = del != request.metadata().end() && del->second == "true";
    auto reply = RunChecked(**client, {and_delete ? "GETDEL" : "GET", key});
    if (!reply.ok()) return ToGrpc(reply.status());
    response->set_data(StringOf(reply->get()));
    return grpc::Status::OK;
  }
  if (operation == "delete") return ToGrpc(RunChecked(**client, {"DEL", key}).status());
  auto ttl = BindingTtl(request.metadata());
  if (!ttl.ok()) return ToGrpc(ttl.status());
  std::vector<std::string> write = operation == "create"
                                       ? std::vector<std::string>{"SET", key, request.data()}
                                       : std::vector<std::string>{"INCR", key};
  if (auto reply = RunChecked(**client, write); !reply.ok()) return ToGrpc(reply.status());
  if (*ttl > 0) {
    return ToGrpc(RunChecked(**client, {"EXPIRE", key, std::to_string(*ttl)}).status());
  }
  return grpc::Status::OK;
}

}  // namespace plughost::redis
