#include "components/mqtt/delay_queue.h"

#include <vector>

namespace plughost::mqtt {

DelayQueue::DelayQueue() : thread_([this] { Run(); }) {}

DelayQueue::~DelayQueue() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  thread_.join();
}

void DelayQueue::After(std::chrono::milliseconds delay, std::function<void()> task) {
  absl::MutexLock lock(&mutex_);
  tasks_.emplace(Clock::now() + delay, std::move(task));
  changed_ = true;
}

void DelayQueue::Run() {
  absl::MutexLock lock(&mutex_);
  auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return stopping_ || changed_; };
  while (!stopping_) {
    changed_ = false;
    if (tasks_.empty()) {
      mutex_.Await(absl::Condition(&woken));
      continue;
    }
    auto first_due = tasks_.begin()->first;
    if (first_due > Clock::now()) {
      mutex_.AwaitWithDeadline(absl::Condition(&woken),
                               absl::Now() + absl::FromChrono(first_due - Clock::now()));
      continue;
    }
    std::vector<std::function<void()>> due;
    while (!tasks_.empty() && tasks_.begin()->first <= Clock::now()) {
      due.push_back(std::move(tasks_.begin()->second));
      tasks_.erase(tasks_.begin());
    }
    mutex_.Unlock();
    for (auto& task : due) task();
    mutex_.Lock();
  }
}

}  // namespace plughost::mqtt
