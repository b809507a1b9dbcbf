#include "components/redis/connection.h"

#include <poll.h>

#include <cerrno>

namespace plughost::redis {
namespace {

timeval ToTimeval(std::chrono::milliseconds duration) {
  timeval tv{};
  tv.tv_sec = duration.count() / 1000;
  tv.tv_usec = (duration.count() % 1000) * 1000;
  return tv;
}

void AppendArgv(redisContext* context, const std::vector<std::string>& argv) {
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
  for (const std::string& arg : argv) {
    pointers.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  redisAppendCommandArgv(context, static_cast<int>(argv.size()), pointers.data(), lengths.data());
}

}  // namespace

std::string ErrorText(const redisReply* reply) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ERROR) return "";
  return std::string(reply->str, reply->len);
}

std::string StringOf(const redisReply* reply) {
  if (reply == nullptr) return "";
  if (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS ||
      reply->type == REDIS_REPLY_ERROR) {
    return std::string(reply->str, reply->len);
  }
  if (reply->type == REDIS_REPLY_INTEGER) return std::to_string(reply->integer);
  return "";
}

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisConnection::Open(
    const RedisSettings& settings, std::chrono::milliseconds read_timeout) {
  redisContext* context = redisConnectWithTimeout(settings.host.c_str(), settings.port,
                                                  ToTimeval(settings.dial_timeout));
  std::string where = settings.host + ":" + std::to_string(settings.port);
  if (context == nullptr) return absl::UnavailableError("redis " + where + ": out of memory");
  if (context->err != 0) {
    std::string message = "redis " + where + ": " + context->errstr;
    redisFree(context);
    return absl::UnavailableError(message);
  }
  redisSetTimeout(context, ToTimeval(read_timeout));
  std::unique_ptr<RedisConnection> connection(new RedisConnection(context));
  auto setup = [&](std::vector<std::string> argv) -> absl::Status {
    auto reply = connection->Run(argv);
    if (!reply.ok()) return reply.status();
    if (std::string error = ErrorText(reply->get()); !error.empty()) {
      return absl::UnavailableError("redis " + where + ": " + argv[0] + ": " + error);
    }
    return absl::OkStatus();
  };
  if (!settings.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!settings.username.empty()) auth.push_back(settings.username);
    auth.push_back(settings.password);
    if (absl::Status status = setup(auth); !status.ok()) return status;
  }
  if (settings.db != 0) {
    if (absl::Status status = setup({"SELECT", std::to_string(settings.db)}); !status.ok()) {
      return status;
    }
  }
  return connection;
}

RedisConnection::~RedisConnection() { redisFree(context_); }

absl::Status RedisConnection::LinkError() {
  broken_ = true;
  std::string message = context_->errstr[0] != '\0' ? context_->errstr : "connection lost";
  return absl::UnavailableError("redis: " + message);
}

absl::StatusOr<Reply> RedisConnection::Run(const std::vector<std::string>& argv) {
  if (broken_) return absl::UnavailableError("redis: connection lost");
  AppendArgv(context_, argv);
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) return LinkError();
  return Reply(static_cast<redisReply*>(raw));
}

absl::StatusOr<std::vector<Reply>> RedisConnection::RunPipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (broken_) return absl::UnavailableError("redis: connection lost");
  for (const auto& argv : commands) AppendArgv(context_, argv);
  std::vector<Reply> replies;
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) return LinkError();
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  return replies;
}

absl::StatusOr<Reply> RedisConnection::ReadPushed(std::chrono::milliseconds wait) {
  if (broken_) return absl::UnavailableError("redis: connection lost");
  void* raw = nullptr;
  // A reply already buffered first; then wait for the socket ourselves, because a hiredis read
  // timeout leaves the context unusable.
  if (redisGetReplyFromReader(context_, &raw) != REDIS_OK) return LinkError();
  if (raw == nullptr) {
    pollfd readable{context_->fd, POLLIN, 0};
    int ready = ::poll(&readable, 1, static_cast<int>(wait.count()));
    if (ready == 0) return absl::DeadlineExceededError("no message");
    if (ready < 0 && errno != EINTR) return LinkError();
    if (ready < 0) return absl::DeadlineExceededError("interrupted");
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) return LinkError();
  }
  return Reply(static_cast<redisReply*>(raw));
}

}  // namespace plughost::redis
