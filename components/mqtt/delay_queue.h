// Tasks run after a delay on one thread of their own: the redelivery timers of rejected
// messages. Tasks run outside the queue's lock; those not yet due are dropped on destruction.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace plughost::mqtt {

class DelayQueue {
 public:
  DelayQueue();
  ~DelayQueue();
  DelayQueue(const DelayQueue&) = delete;
  DelayQueue& operator=(const DelayQueue&) = delete;

  void After(std::chrono::milliseconds delay, std::function<void()> task);

 private:
  using Clock = std::chrono::steady_clock;
  void Run();

  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  bool changed_ ABSL_GUARDED_BY(mutex_) = false;
  std::multimap<Clock::time_point, std::function<void()>> tasks_ ABSL_GUARDED_BY(mutex_);
  std::thread thread_;
};

}  // namespace plughost::mqtt
