#include "components/redis/state_store.h"

#include <charconv>

#include "sdk/cpp/state_errors.h"

namespace plughost::redis {
namespace {

// Dapr's Set script (state/redis): KEYS[1] key; ARGV[1] expected version ("0": none), ARGV[2]
// value, ARGV[3] "0" for first-write. A key that is not a hash is replaced.
constexpr char kSetScript[] = R"lua(
local var1 = redis.pcall("HGET", KEYS[1], "version");
if type(var1) == "table" then
  redis.call("DEL", KEYS[1]);
end;
local var2 = redis.pcall("HGET", KEYS[1], "first-write");
if not var1 or type(var1)=="table" or var1 == "" or var1 == ARGV[1] or (not var2 and ARGV[1] == "0") then
  redis.call("HSET", KEYS[1], "data", ARGV[2]);
  if ARGV[3] == "0" then
    redis.call("HSET", KEYS[1], "first-write", 0);
  end;
  return redis.call("HINCRBY", KEYS[1], "version", 1)
else
  return error("failed to set key " .. KEYS[1])
end)lua";

// Dapr's Delete script: KEYS[1] key; ARGV[1] expected version ("0": none).
constexpr char kDeleteScript[] = R"lua(
local var1 = redis.pcall("HGET", KEYS[1], "version");
if not var1 or type(var1)=="table" or var1 == ARGV[1] or var1 == "" or ARGV[1] == "0" then
  return redis.call("DEL", KEYS[1])
else
  return error("failed to delete " .. KEYS[1])
end)lua";

// A whole transaction, atomically: Dapr's per-operation checks (as its transactions run them:
// no first-write) all pass before anything is written. KEYS[i] is operation i's key; ARGV holds
// four values per operation: "set" or "del", expected version ("0": none), value, TTL ("" none).
constexpr char kTransactScript[] = R"lua(
local function allowed(key, etag, is_set)
  local version = redis.pcall("HGET", key, "version")
  if not version or type(version) == "table" or version == "" or version == etag then
    return true
  end
  if etag ~= "0" then return false end
  if not is_set then return true end
  return not redis.pcall("HGET", key, "first-write")
end
for i = 1, #KEYS do
  local base = (i - 1) * 4
  if not allowed(KEYS[i], ARGV[base + 2], ARGV[base + 1] == "set") then
    return redis.error_reply("possible etag mismatch for key " .. KEYS[i])
  end
end
for i = 1, #KEYS do
  local base = (i - 1) * 4
  if ARGV[base + 1] == "set" then
    if type(redis.pcall("HGET", KEYS[i], "version")) == "table" then
      redis.call("DEL", KEYS[i])
    end
    redis.call("HSET", KEYS[i], "data", ARGV[base + 3])
    redis.call("HINCRBY", KEYS[i], "version", 1)
    local ttl = ARGV[base + 4]
    if ttl ~= "" then
      if tonumber(ttl) > 0 then
        redis.call("EXPIRE", KEYS[i], ttl)
      else
        redis.call("PERSIST", KEYS[i])
      end
    end
  else
    redis.call("DEL", KEYS[i])
  end
end
return #KEYS)lua";

constexpr char kTtlKey[] = "ttlInSeconds";

std::optional<int64_t> ParseInt64(const std::string& text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool HasEtag(const statepb::SetRequest& request) {
  return request.has_etag() && !request.etag().value().empty();
}

// The expected version Dapr's scripts take: "0" for none. Under last-write the ETag is ignored.
absl::StatusOr<std::string> ExpectedVersion(const statepb::SetRequest& request) {
  if (!HasEtag(request) ||
      request.options().concurrency() == statepb::StateOptions::CONCURRENCY_LAST_WRITE) {
    return std::string("0");
  }
  if (!ParseInt64(request.etag().value())) {
    return absl::InvalidArgumentError("the ETag \"" + request.etag().value() +
                                      "\" is not a version number");
  }
  return request.etag().value();
}

}  // namespace

grpc::Status RedisStateStore::Init(const sdk::Metadata& metadata) {
  std::optional<int64_t> ttl;
  if (std::string text = Lookup(metadata, kTtlKey); !text.empty()) {
    ttl = ParseInt64(text);
    if (!ttl) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "failed to parse ttlInSeconds \"" + text + "\"");
    }
  }
  {
    absl::MutexLock lock(&mutex_);
    default_ttl_ = ttl;
  }
  return backend_.Init(metadata);
}

absl::StatusOr<std::optional<int64_t>> RedisStateStore::TtlOf(
    const google::protobuf::Map<std::string, std::string>& metadata) {
  if (auto it = metadata.find(kTtlKey); it != metadata.end()) {
    auto ttl = ParseInt64(it->second);
    if (!ttl) {
      return absl::InvalidArgumentError("failed to parse ttl from metadata: \"" + it->second +
                                        "\" is not an integer");
    }
    return std::optional<int64_t>(*ttl);
  }
  absl::MutexLock lock(&mutex_);
  return default_ttl_;
}

grpc::Status RedisStateStore::Get(const statepb::GetRequest& request,
                                  statepb::GetResponse* response) {
  auto client = backend_.client();
  if (!client.ok()) return ToGrpc(client.status());
  auto reply = (*client)->Run({"HGETALL", request.key()});
  if (!reply.ok()) return ToGrpc(reply.status());
  const redisReply* hash = reply->get();
  if (hash->type == REDIS_REPLY_ERROR) {
    // Not a hash: an older plain-string layout, read without an ETag (as Dapr does).
    auto plain = RunChecked(**client, {"GET", request.key()});
    if (!plain.ok()) return ToGrpc(plain.status());
    response->set_data(StringOf(plain->get()));
    return grpc::Status::OK;
  }
  if (hash->type != REDIS_REPLY_ARRAY || hash->elements == 0) return grpc::Status::OK;
  std::optional<std::string> data;
  std::optional<std::string> version;
  for (size_t i = 0; i + 1 < hash->elements; i += 2) {
    std::string field = StringOf(hash->element[i]);
    if (field == "data") data = StringOf(hash->element[i + 1]);
    if (field == "version") version = StringOf(hash->element[i + 1]);
  }
  if (!data || !version) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        "required hash field 'data' or 'version' was not found");
  }
  response->set_data(std::move(*data));
  response->mutable_etag()->set_value(std::move(*version));
  return grpc::Status::OK;
}

grpc::Status RedisStateStore::Set(const statepb::SetRequest& request) {
  auto expected = ExpectedVersion(request);
  if (!expected.ok()) return sdk::EtagInvalid(std::string(expected.status().message()));
  auto ttl = TtlOf(request.metadata());
  if (!ttl.ok()) return ToGrpc(ttl.status());
  auto client = backend_.client();
  if (!client.ok()) return ToGrpc(client.status());
  const bool first_write =
      request.options().concurrency() == statepb::StateOptions::CONCURRENCY_FIRST_WRITE;
  auto reply = (*client)->Run({"EVAL", kSetScript, "1", request.key(), *expected, request.value(),
                               first_write ? "0" : "1"});
  if (!reply.ok()) return ToGrpc(reply.status());
  if (std::string error = ErrorText(reply->get()); !error.empty()) {
    if (HasEtag(request) || first_write) {
      return sdk::EtagMismatch("failed to set key " + request.key() + ": " + error);
    }
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        "failed to set key " + request.key() + ": " + error);
  }
  if (*ttl) {
    std::vector<std::string> argv =
        **ttl > 0 ? std::vector<std::string>{"EXPIRE", request.key(), std::to_string(**ttl)}
                  : std::vector<std::string>{"PERSIST", request.key()};
    if (auto expiry = RunChecked(**client, argv); !expiry.ok()) {
      return ToGrpc(expiry.status());
    }
  }
  return grpc::Status::OK;
}

grpc::Status RedisStateStore::Delete(const statepb::DeleteRequest& request) {
  auto client = backend_.client();
  if (!client.ok()) return ToGrpc(client.status());
  const bool has_etag = request.has_etag() && !request.etag().value().empty();
  std::string expected = has_etag ? request.etag().value() : "0";
  auto reply = (*client)->Run({"EVAL", kDeleteScript, "1", request.key(), expected});
  if (!reply.ok()) return ToGrpc(reply.status());
  if (std::string error = ErrorText(reply->get()); !error.empty()) {
    return sdk::EtagMismatch("failed to delete " + request.key() + ": " + error);
  }
  return grpc::Status::OK;
}

grpc::Status RedisStateStore::Transact(const statepb::TransactionalStateRequest& request) {
  std::vector<std::string> keys;
  std::vector<std::string> args;
  for (const auto& operation : request.operations()) {
    if (operation.has_set()) {
      const statepb::SetRequest& set = operation.set();
      auto expected = ExpectedVersion(set);
      if (!expected.ok()) return sdk::EtagInvalid(std::string(expected.status().message()));
      auto ttl = TtlOf(set.metadata());
      if (!ttl.ok()) return ToGrpc(ttl.status());
      keys.push_back(set.key());
      args.insert(args.end(),
                  {"set", *expected, set.value(), *ttl ? std::to_string(**ttl) : std::string()});
    } else if (operation.has_delete_()) {
      const statepb::DeleteRequest& del = operation.delete_();
      const bool has_etag = del.has_etag() && !del.etag().value().empty();
      keys.push_back(del.key());
      args.insert(args.end(), {"del", has_etag ? del.etag().value() : "0", "", ""});
    }
  }
  if (keys.empty()) return grpc::Status::OK;
  auto client = backend_.client();
  if (!client.ok()) return ToGrpc(client.status());
  std::vector<std::string> argv = {"EVAL", kTransactScript, std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  auto reply = (*client)->Run(argv);
  if (!reply.ok()) return ToGrpc(reply.status());
  if (std::string error = ErrorText(reply->get()); !error.empty()) {
    if (error.find("etag mismatch") != std::string::npos) return sdk::EtagMismatch(error);
    return grpc::Status(grpc::StatusCode::INTERNAL, "transaction failed: " + error);
  }
  return grpc::Status::OK;
}

}  // namespace plughost::redis
