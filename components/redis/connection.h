// One blocking connection to Redis on hiredis: connect (AUTH, SELECT), run a command, notice a
// broken link. Used from worker threads only, one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <hiredis/hiredis.h>

#include "absl/status/statusor.h"
#include "components/redis/settings.h"

namespace plughost::redis {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

class RedisConnection {
 public:
  // UNAVAILABLE when the server cannot be reached or refuses AUTH/SELECT. `read_timeout`
  // overrides the settings' (a blocking XREADGROUP needs longer than its BLOCK).
  static absl::StatusOr<std::unique_ptr<RedisConnection>> Open(
      const RedisSettings& settings, std::chrono::milliseconds read_timeout);
  ~RedisConnection();

  // The reply (an error reply is a reply, type REDIS_REPLY_ERROR); UNAVAILABLE when the link
  // failed, after which the connection is broken() for good.
  absl::StatusOr<Reply> Run(const std::vector<std::string>& argv);
  // Sends commands back to back and reads every reply (for MULTI/EXEC blocks).
  absl::StatusOr<std::vector<Reply>> RunPipeline(
      const std::vector<std::vector<std::string>>& commands);
  // Reads the next reply pushed by the server (subscriptions); DEADLINE_EXCEEDED when none came
  // within `wait` (the connection stays usable).
  absl::StatusOr<Reply> ReadPushed(std::chrono::milliseconds wait);
  bool broken() const { return broken_; }

 private:
  explicit RedisConnection(redisContext* context) : context_(context) {}
  absl::Status LinkError();

  redisContext* context_;
  bool broken_ = false;
};

// "ERR ..." text of an error reply, or empty when `reply` is not an error.
std::string ErrorText(const redisReply* reply);
std::string StringOf(const redisReply* reply);

}  // namespace plughost::redis
