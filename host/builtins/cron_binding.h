// bindings.cron: an input binding that emits an event on a schedule (metadata "schedule", see
// cron_schedule.h). Each event has empty data and metadata {"schedule", "readTimeUTC",
// "timeZone"}; replies are not used. One timer thread per instance, started by the first Read.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "host/builtins/cron_schedule.h"
#include "host/components/bindings.h"

namespace plughost {

class CronBinding : public InputBinding {
 public:
  CronBinding() = default;
  ~CronBinding() override;

  // INVALID_ARGUMENT naming metadata "schedule" when it is missing or malformed.
  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override { return {kFeatureInputBinding}; }
  void Ping(StatusCallback done) override { done(grpc::Status::OK); }
  std::unique_ptr<Subscription> Read(BindingEventHandler handler) override;

 private:
  // One Read's handler; `mutex` is held while it runs, so closing waits out a delivery.
  struct Reader {
    std::mutex mutex;
    bool closed = false;
    BindingEventHandler handler;
  };
  class CronSubscription;

  void Run();
  void Fire(std::chrono::system_clock::time_point when);

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::optional<CronSchedule> schedule_;
  std::string schedule_text_;
  std::vector<std::shared_ptr<Reader>> readers_;
  uint64_t ticks_ = 0;
  std::thread thread_;
};

}  // namespace plughost
