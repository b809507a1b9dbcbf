#include "bench/load.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace plughost::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A slot gives up after this many failed calls, so that a dead target ends the run quickly
// instead of spinning through failures.
constexpr int64_t kMaxErrorsPerSlot = 100;

class LoadRun {
 public:
  explicit LoadRun(const LoadSpec& spec) : spec_(spec) {}

  LoadResult Run(const SlotFactory& make_slot) {
    int in_flight = std::max(1, spec_.in_flight);
    slots_.resize(in_flight);
    for (int i = 0; i < in_flight; ++i) slots_[i].start = make_slot(i);
    active_ = in_flight;
    start_ = Clock::now();
    deadline_ = start_ + spec_.duration;
    for (auto& slot : slots_) Issue(&slot);
    {
      std::unique_lock lock(mutex_);
      all_retired_.wait(lock, [this] { return active_ == 0; });
    }
    LoadResult result;
    result.wall = end_ - start_;
    for (auto& slot : slots_) {
      result.calls += slot.calls;
      result.errors += slot.errors;
      if (result.first_error.empty()) {
        result.first_error = slot.first_error;
        result.first_error_code = slot.first_error_code;
      }
      result.latencies_ns.insert(result.latencies_ns.end(), slot.latencies.begin(),
                                 slot.latencies.end());
    }
    return result;
  }

 private:
  // Touched by one call at a time: its next call starts only from its previous completion.
  struct Slot {
    StartCall start;
    std::unique_ptr<grpc::ClientContext> context;
    Clock::time_point started;
    std::vector<int64_t> latencies;
    int64_t calls = 0;
    int64_t errors = 0;
    std::string first_error;
    grpc::StatusCode first_error_code = grpc::StatusCode::OK;
  };

  bool MayIssue() {
    if (spec_.duration.count() > 0 && Clock::now() >= deadline_) return false;
    if (spec_.max_calls > 0 && issued_.fetch_add(1, std::memory_order_relaxed) >= spec_.max_calls) {
      return false;
    }
    return true;
  }

  void Issue(Slot* slot) {
    if (!MayIssue()) {
      Retire();
      return;
    }
    // A ClientContext serves one call only; the previous one is released here, after its
    // call has completed.
    slot->context = std::make_unique<grpc::ClientContext>();
    slot->context->set_deadline(std::chrono::system_clock::now() + spec_.call_timeout);
    slot->started = Clock::now();
    slot->start(slot->context.get(),
                [this, slot](grpc::Status status) { OnDone(slot, std::move(status)); });
  }

  // Runs on a gRPC callback thread. gRPC swallows exceptions thrown here and the run would
  // then wait forever for this slot, so nothing may escape.
  void OnDone(Slot* slot, grpc::Status status) noexcept {
    auto elapsed = Clock::now() - slot->started;
    try {
      ++slot->calls;
      if (status.ok()) {
        slot->latencies.push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
      } else {
        ++slot->errors;
        if (slot->first_error.empty()) {
          slot->first_error_code = status.error_code();
          slot->first_error = "code " + std::to_string(static_cast<int>(status.error_code())) +
                              ": " + status.error_message();
        }
        if (slot->errors >= kMaxErrorsPerSlot) {
          Retire();
          return;
        }
      }
      Issue(slot);
    } catch (...) {
      ++slot->errors;
      Retire();
    }
  }

  void Retire() {
    std::lock_guard lock(mutex_);
    if (--active_ == 0) {
      end_ = Clock::now();
      all_retired_.notify_all();
    }
  }

  const LoadSpec spec_;
  std::vector<Slot> slots_;
  std::atomic<int64_t> issued_{0};
  Clock::time_point start_;
  Clock::time_point deadline_;
  std::mutex mutex_;
  std::condition_variable all_retired_;
  int active_ = 0;         // guarded by mutex_
  Clock::time_point end_;  // guarded by mutex_
};

double PercentileUs(const std::vector<int64_t>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(fraction * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[std::min(index, sorted.size() - 1)]) / 1000.0;
}

}  // namespace

void LoadResult::Merge(LoadResult&& other) {
  latencies_ns.insert(latencies_ns.end(), other.latencies_ns.begin(), other.latencies_ns.end());
  calls += other.calls;
  errors += other.errors;
  if (first_error.empty()) {
    first_error = std::move(other.first_error);
    first_error_code = other.first_error_code;
  }
  wall += other.wall;
}

LoadResult RunLoad(const LoadSpec& spec, const SlotFactory& make_slot) {
  // Unbounded would never return; an empty run is the useful reading of "no warm-up".
  if (spec.max_calls <= 0 && spec.duration.count() <= 0) return LoadResult{};
  LoadRun run(spec);
  return run.Run(make_slot);
}

LatencySummary Summarize(LoadResult& result) {
  std::sort(result.latencies_ns.begin(), result.latencies_ns.end());
  LatencySummary summary;
  summary.calls = result.calls;
  summary.errors = result.errors;
  summary.p50_us = PercentileUs(result.latencies_ns, 0.50);
  summary.p90_us = PercentileUs(result.latencies_ns, 0.90);
  summary.p99_us = PercentileUs(result.latencies_ns, 0.99);
  double seconds = std::chrono::duration<double>(result.wall).count();
  summary.calls_per_second =
      seconds > 0 ? static_cast<double>(result.latencies_ns.size()) / seconds : 0;
  return summary;
}

}  // namespace plughost::bench
