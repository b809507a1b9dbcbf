#include "host/builtins/cron_binding.h"

#include <fmt/format.h>

#include <ctime>
#include <exception>

#include "host/common/log.h"

namespace plughost {
namespace {

constexpr char kScheduleKey[] = "schedule";

std::string FormatRfc3339Utc(std::chrono::system_clock::time_point when) {
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count() % 1000;
  std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  size_t n = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:03d}Z", std::string_view(text, n), static_cast<int>(millis));
}

}  // namespace

class CronBinding::CronSubscription final : public Subscription {
 public:
  explicit CronSubscription(std::shared_ptr<Reader> reader) : reader_(std::move(reader)) {}
  ~CronSubscription() override { Close(); }
  void Close() override {
    std::lock_guard lock(reader_->mutex);
    reader_->closed = true;
  }

 private:
  std::shared_ptr<Reader> reader_;
};

CronBinding::~CronBinding() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CronBinding::Init(const InitSpec& spec, StatusCallback done) {
  auto it = spec.metadata.find(kScheduleKey);
  if (it == spec.metadata.end() || it->second.empty()) {
    done(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      "metadata \"schedule\" is required, e.g. \"@every 15s\" or \"*/5 * * * *\""));
    return;
  }
  auto schedule = CronSchedule::Parse(it->second);
  if (!schedule.ok()) {
    done(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      fmt::format("metadata \"schedule\" \"{}\" is invalid: {}", it->second,
                                  schedule.status().message())));
    return;
  }
  {
    std::lock_guard lock(mutex_);
    schedule_ = *schedule;
    schedule_text_ = it->second;
  }
  wake_.notify_all();  // a running timer picks up the new schedule
  done(grpc::Status::OK);
}

std::unique_ptr<Subscription> CronBinding::Read(BindingEventHandler handler) {
  auto reader = std::make_shared<Reader>();
  reader->handler = std::move(handler);
  {
    std::lock_guard lock(mutex_);
    readers_.push_back(reader);
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  }
  return std::make_unique<CronSubscription>(std::move(reader));
}

void CronBinding::Run() {
  std::unique_lock lock(mutex_);
  std::optional<std::chrono::system_clock::time_point> next;
  std::string scheduled_text;
  while (!stopping_) {
    if (!schedule_) {
      wake_.wait(lock);
      continue;
    }
    auto now = std::chrono::system_clock::now();
    if (!next || scheduled_text != schedule_text_) {
      // First run, or a new schedule from a second Init.
      scheduled_text = schedule_text_;
      next = schedule_->Next(now);
    }
    if (*next == std::chrono::system_clock::time_point::max()) {
      wake_.wait(lock);  // never fires; wait for a new schedule or the end
      continue;
    }
    if (now < *next) {
      wake_.wait_until(lock, *next);
      continue;  // re-checks stopping_, the schedule and the time
    }
    auto fired = *next;
    // Ticks missed while the machine slept (or the handler was slow) are dropped, not queued.
    next = schedule_->Next(fired);
    if (*next <= now) next = schedule_->Next(now);
    lock.unlock();
    Fire(fired);
    lock.lock();
  }
}

void CronBinding::Fire(std::chrono::system_clock::time_point when) {
  std::vector<std::shared_ptr<Reader>> readers;
  std::string schedule;
  uint64_t tick = 0;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(readers_, [](const std::shared_ptr<Reader>& reader) {
      std::lock_guard reader_lock(reader->mutex);
      return reader->closed;
    });
    readers = readers_;
    schedule = schedule_text_;
    tick = ++ticks_;
  }
  for (const auto& reader : readers) {
    std::lock_guard reader_lock(reader->mutex);
    if (reader->closed) continue;
    bindingspb::ReadResponse event;
    auto& metadata = *event.mutable_metadata();
    metadata["schedule"] = schedule;
    metadata["readTimeUTC"] = FormatRfc3339Utc(when);
    metadata["timeZone"] = "Local";
    event.set_message_id(fmt::format("cron-{}", tick));
    try {
      reader->handler(std::move(event), [schedule](const grpc::Status& status, const std::string&) {
        if (!status.ok()) {
          PH_LOG_DEBUG("bindings", "cron tick ({}) not handled by the app: {}", schedule,
                       status.error_message());
        }
      });
    } catch (const std::exception& e) {
      // The timer thread must survive a faulty handler.
      PH_LOG_ERROR("bindings", "cron event handler threw: {}", e.what());
    }
  }
}

}  // namespace plughost
