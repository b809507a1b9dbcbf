#include "components/redis/pubsub.h"

#include <charconv>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/bounded_json.h"

namespace plughost::redis {
namespace {

// How long one XREADGROUP waits for new entries: bounds how late a closed stream notices.
constexpr std::chrono::milliseconds kReadBlock{1000};

absl::StatusOr<std::chrono::milliseconds> DurationField(const sdk::Metadata& metadata,
                                                        const char* name,
                                                        std::chrono::milliseconds fallback) {
  std::string text = Lookup(metadata, name);
  if (text.empty()) return fallback;
  auto duration = ParseDuration(text);
  if (!duration || duration->count() < 0) {
    return absl::InvalidArgumentError(std::string("redis pubsub ") + name +
                                      ": expected a duration, got \"" + text + "\"");
  }
  return *duration;
}

absl::StatusOr<int64_t> IntField(const sdk::Metadata& metadata, const char* name,
                                 int64_t fallback) {
  std::string text = Lookup(metadata, name);
  if (text.empty()) return fallback;
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) {
    return absl::InvalidArgumentError(std::string("redis pubsub ") + name +
                                      ": expected a non-negative integer, got \"" + text + "\"");
  }
  return value;
}

// One subscription: a reader thread of its own (XREADGROUP, and the reclaim rounds) on a
// dedicated connection; acks arrive on the workers and use the pooled client.
class StreamSubscription final : public sdk::TopicSubscription,
                                 public std::enable_shared_from_this<StreamSubscription> {
 public:
  StreamSubscription(std::shared_ptr<RedisClient> client, PubSubSettings settings,
                     std::string topic, std::shared_ptr<sdk::MessageStream> stream)
      : client_(std::move(client)),
        settings_(std::move(settings)),
        topic_(std::move(topic)),
        stream_(std::move(stream)) {}

  void Start() {
    std::thread([self = shared_from_this()] { self->Run(); }).detach();
  }

  void OnAck(const std::string& id, const std::optional<std::string>& error) override {
    {
      absl::MutexLock lock(&mutex_);
      in_flight_.erase(id);
    }
    // A rejection leaves the entry pending: it comes back after processingTimeout. So does an
    // XACK that fails (Redis unreachable): at least once, never lost.
    if (!error) (void)client_->Run({"XACK", topic_, settings_.consumer_id, id});
  }

  void Close() override {
    absl::MutexLock lock(&mutex_);
    closed_ = true;
  }

 private:
  bool closed() {
    absl::MutexLock lock(&mutex_);
    return closed_ || stream_->ended();
  }

  // Waits up to `wait` for a close, or for room among the deliveries in flight.
  void Pause(std::chrono::milliseconds wait, bool for_room) {
    absl::MutexLock lock(&mutex_);
    auto ready = [this, for_room]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
      return closed_ ||
             (for_room && static_cast<int64_t>(in_flight_.size()) < settings_.queue_depth);
    };
    mutex_.AwaitWithTimeout(absl::Condition(&ready), absl::FromChrono(wait));
  }

  absl::Status EnsureGroup(RedisConnection& connection) {
    auto reply =
        connection.Run({"XGROUP", "CREATE", topic_, settings_.consumer_id, "0", "MKSTREAM"});
    if (!reply.ok()) return reply.status();
    std::string error = ErrorText(reply->get());
    if (!error.empty() && error.rfind("BUSYGROUP", 0) != 0) {
      return absl::InternalError("XGROUP CREATE " + topic_ + ": " + error);
    }
    return absl::OkStatus();
  }

  // Sends each [id, [field, value, ...]] entry of `entries` that is not already in flight.
  // Entries whose fields are gone (trimmed) are acked instead.
  void Deliver(const redisReply* entries) {
    for (size_t i = 0; i < entries->elements; ++i) {
      const redisReply* entry = entries->element[i];
      if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 2) continue;
      std::string id = StringOf(entry->element[0]);
      const redisReply* fields = entry->element[1];
      if (fields->type != REDIS_REPLY_ARRAY) {
        (void)client_->Run({"XACK", topic_, settings_.consumer_id, id});
        continue;
      }
      sdk::pubsubpb::PullMessagesResponse message;
      message.set_id(id);
      message.set_topic_name(topic_);
      for (size_t f = 0; f + 1 < fields->elements; f += 2) {
        std::string name = StringOf(fields->element[f]);
        std::string value = StringOf(fields->element[f + 1]);
        if (name == "data") {
          message.set_data(std::move(value));
        } else if (name == "metadata") {
          nlohmann::json parsed = ParseBoundedJson(value);
          if (parsed.is_object()) {
            for (const auto& [key, item] : parsed.items()) {
              if (item.is_string()) (*message.mutable_metadata())[key] = item.get<std::string>();
            }
          }
        }
      }
      {
        absl::MutexLock lock(&mutex_);
        if (!in_flight_.insert(id).second) continue;
      }
      if (!stream_->Send(std::move(message))) return;
    }
  }

  // XPENDING/XCLAIM: entries pending longer than processingTimeout, whoever read them.
  void Reclaim(RedisConnection& connection) {
    const std::string min_idle = std::to_string(settings_.processing_timeout.count());
    auto pending = connection.Run({"XPENDING", topic_, settings_.consumer_id, "IDLE", min_idle, "-",
                                   "+", std::to_string(settings_.queue_depth)});
    if (!pending.ok() || (*pending)->type != REDIS_REPLY_ARRAY) return;
    std::vector<std::string> claim = {"XCLAIM", topic_, settings_.consumer_id,
                                      settings_.consumer_id, min_idle};
    for (size_t i = 0; i < (*pending)->elements; ++i) {
      const redisReply* row = (*pending)->element[i];
      if (row->type != REDIS_REPLY_ARRAY || row->elements < 1) continue;
      std::string id = StringOf(row->element[0]);
      absl::MutexLock lock(&mutex_);
      if (in_flight_.count(id) == 0) claim.push_back(std::move(id));
    }
    if (claim.size() == 5) return;
    auto claimed = connection.Run(claim);
    if (claimed.ok() && (*claimed)->type == REDIS_REPLY_ARRAY) Deliver(claimed->get());
  }

  void Run() {
    const bool reclaims =
        settings_.processing_timeout.count() > 0 && settings_.redeliver_interval.count() > 0;
    Backoff backoff(Backoff::Options{std::chrono::milliseconds(100), 1.6, 0.2,
                                     std::chrono::milliseconds(2000)});
    std::unique_ptr<RedisConnection> connection;
    auto next_reclaim = std::chrono::steady_clock::now();
    while (!closed()) {
      if (connection == nullptr || connection->broken()) {
        connection.reset();
        auto opened = client_->OpenDedicated(kReadBlock + client_->settings().read_timeout);
        if (opened.ok() && EnsureGroup(**opened).ok()) {
          connection = std::move(*opened);
          backoff.Reset();
        } else {
          Pause(backoff.NextDelay(), /*for_room=*/false);
          continue;
        }
      }
      if (reclaims && std::chrono::steady_clock::now() >= next_reclaim) {
        Reclaim(*connection);
        next_reclaim = std::chrono::steady_clock::now() + settings_.redeliver_interval;
      }
      int64_t room;
      {
        absl::MutexLock lock(&mutex_);
        room = settings_.queue_depth - static_cast<int64_t>(in_flight_.size());
      }
      if (room <= 0) {
        Pause(std::chrono::milliseconds(100), /*for_room=*/true);
        continue;
      }
      auto block = reclaims ? std::min(kReadBlock, settings_.redeliver_interval) : kReadBlock;
      auto reply = connection->Run({"XREADGROUP", "GROUP", settings_.consumer_id,
                                    settings_.consumer_id, "COUNT", std::to_string(room), "BLOCK",
                                    std::to_string(block.count()), "STREAMS", topic_, ">"});
      if (!reply.ok()) continue;  // broken: reconnect above
      if (std::string error = ErrorText(reply->get()); !error.empty()) {
        if (error.rfind("NOGROUP", 0) == 0) {
          (void)EnsureGroup(*connection);  // failing, it shows again on the next read
        } else {
          Pause(backoff.NextDelay(), /*for_room=*/false);
        }
        continue;
      }
      // [[topic, [[id, fields], ...]]], or nil when BLOCK ran out.
      const redisReply* streams = reply->get();
      if (streams->type != REDIS_REPLY_ARRAY) continue;
      for (size_t s = 0; s < streams->elements; ++s) {
        const redisReply* stream = streams->element[s];
        if (stream->type == REDIS_REPLY_ARRAY && stream->elements == 2) Deliver(stream->element[1]);
      }
    }
  }

  std::shared_ptr<RedisClient> client_;
  const PubSubSettings settings_;
  const std::string topic_;
  std::shared_ptr<sdk::MessageStream> stream_;
  absl::Mutex mutex_;
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
  std::set<std::string> in_flight_ ABSL_GUARDED_BY(mutex_);  // sent, not yet acked
};

}  // namespace

grpc::Status RedisPubSub::Init(const sdk::Metadata& metadata) {
  PubSubSettings parsed;
  parsed.consumer_id = Lookup(metadata, "consumerID");
  if (parsed.consumer_id.empty() && !metadata.empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "redis pubsub: consumerID is required (plughost and daprd fill in the "
                        "app id; give it when no host does)");
  }
  if (parsed.consumer_id.empty()) parsed.consumer_id = "plughost";
  auto processing = DurationField(metadata, "processingTimeout", parsed.processing_timeout);
  auto redeliver = DurationField(metadata, "redeliverInterval", parsed.redeliver_interval);
  auto depth = IntField(metadata, "queueDepth", parsed.queue_depth);
  auto max_len = IntField(metadata, "maxLenApprox", parsed.max_len_approx);
  for (const absl::Status& status :
       {processing.status(), redeliver.status(), depth.status(), max_len.status()}) {
    if (!status.ok()) return ToGrpc(status);
  }
  parsed.processing_timeout = *processing;
  parsed.redeliver_interval = *redeliver;
  parsed.queue_depth = std::max<int64_t>(1, *depth);
  parsed.max_len_approx = *max_len;
  {
    absl::MutexLock lock(&mutex_);
    settings_ = parsed;
  }
  return backend_.Init(metadata);
}

PubSubSettings RedisPubSub::settings() {
  absl::MutexLock lock(&mutex_);
  return settings_;
}

grpc::Status RedisPubSub::Publish(const sdk::pubsubpb::PublishRequest& request) {
  auto client = backend_.client();
  if (!client.ok()) return ToGrpc(client.status());
  PubSubSettings current = settings();
  std::vector<std::string> argv = {"XADD", request.topic()};
  if (current.max_len_approx > 0) {
    argv.insert(argv.end(), {"MAXLEN", "~", std::to_string(current.max_len_approx)});
  }
  nlohmann::json metadata = nlohmann::json::object();
  for (const auto& [key, value] : request.metadata()) metadata[key] = value;
  argv.insert(argv.end(), {"*", "data", request.data(), "metadata", metadata.dump()});
  auto reply = RunChecked(**client, argv);
  if (!reply.ok()) {
    return grpc::Status(
        static_cast<grpc::StatusCode>(reply.status().code()),
        "redis streams: error from publish: " + std::string(reply.status().message()));
  }
  return grpc::Status::OK;
}

absl::StatusOr<std::shared_ptr<sdk::TopicSubscription>> RedisPubSub::Subscribe(
    const sdk::pubsubpb::Topic& topic, std::shared_ptr<sdk::MessageStream> stream) {
  auto client = backend_.client();
  if (!client.ok()) return client.status();
  auto subscription =
      std::make_shared<StreamSubscription>(*client, settings(), topic.name(), std::move(stream));
  subscription->Start();
  return subscription;
}

}  // namespace plughost::redis
