#include "host/ops/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

#include "common/status_code_name.h"
#include "host/common/limit_hits.h"
#include "host/common/prometheus_label.h"
#include "host/lifecycle/component_supervisor.h"
#include "host/registry/instance_table.h"

namespace plughost {

SubscriptionLag::Token SubscriptionLag::Received(std::string_view pubsub, std::string_view topic) {
  auto key = std::make_pair(std::string(pubsub), std::string(topic));
  std::lock_guard lock(mutex_);
  // Topic names are the app's choice: past kMaxTopicSeries, new ones share one series.
  if (topics_.size() >= kMaxTopicSeries && topics_.find(key) == topics_.end()) {
    limit_hits::Hit(limit_hits::Limit::kMetricsSeriesFull);
    key.second = kOtherTopics;
  }
  // Stamped under the lock, so token order is arrival order and the first token the oldest.
  Token token = ++next_token_;
  topics_[std::move(key)].pending.emplace(token, Clock::now());
  return token;
}

void SubscriptionLag::Settled(std::string_view pubsub, std::string_view topic, Token token,
                              bool acked) {
  std::lock_guard lock(mutex_);
  for (std::string_view name : {topic, std::string_view(kOtherTopics)}) {
    auto it = topics_.find(std::make_pair(std::string(pubsub), std::string(name)));
    if (it == topics_.end() || it->second.pending.erase(token) == 0) continue;
    ++(acked ? it->second.acked : it->second.rejected);
    return;
  }
}

void SubscriptionLag::Render(std::string& out, Clock::time_point now) const {
  std::string pending =
      "# HELP plughost_subscription_pending_messages Messages taken from the pubsub for the "
      "app and not yet acked or rejected.\n"
      "# TYPE plughost_subscription_pending_messages gauge\n";
  std::string oldest =
      "# HELP plughost_subscription_oldest_pending_seconds How long the oldest pending message "
      "has waited; 0 when none is pending.\n"
      "# TYPE plughost_subscription_oldest_pending_seconds gauge\n";
  std::string settled =
      "# HELP plughost_subscription_messages_total Messages settled, by outcome: acked, or "
      "rejected (the pubsub delivers them again).\n"
      "# TYPE plughost_subscription_messages_total counter\n";
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, topic] : topics_) {
      auto labels = fmt::format("pubsub=\"{}\",topic=\"{}\"", EscapePrometheusLabel(key.first),
                                EscapePrometheusLabel(key.second));
      double age = topic.pending.empty()
                       ? 0.0
                       : std::chrono::duration<double>(now - topic.pending.begin()->second).count();
      pending += fmt::format("plughost_subscription_pending_messages{{{}}} {}\n", labels,
                             topic.pending.size());
      oldest += fmt::format("plughost_subscription_oldest_pending_seconds{{{}}} {:.3f}\n", labels,
                            std::max(age, 0.0));
      settled += fmt::format("plughost_subscription_messages_total{{{},outcome=\"acked\"}} {}\n",
                             labels, topic.acked);
      settled += fmt::format("plughost_subscription_messages_total{{{},outcome=\"rejected\"}} {}\n",
                             labels, topic.rejected);
    }
  }
  out += pending + oldest + settled;
}

Metrics::Series& Metrics::SeriesFor(std::string_view method, std::string_view component) {
  auto key = std::make_pair(std::string(method), std::string(component));
  {
    std::shared_lock lock(mutex_);
    auto it = series_.find(key);
    if (it != series_.end()) return *it->second;
  }
  std::unique_lock lock(mutex_);
  auto& slot = series_[std::move(key)];
  if (!slot) slot = std::make_unique<Series>();
  return *slot;
}

void Metrics::RecordCall(std::string_view method, std::string_view component, grpc::StatusCode code,
                         std::chrono::nanoseconds latency) {
  auto& series = SeriesFor(method, component);
  double seconds = std::chrono::duration<double>(latency).count();
  size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  series.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  series.sum_nanos.fetch_add(static_cast<uint64_t>(latency.count()), std::memory_order_relaxed);
  size_t code_index = static_cast<size_t>(code) < series.by_code.size() ? code : 2;  // UNKNOWN
  series.by_code[code_index].fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::Render(const InstanceTable& instances,
                            const SupervisorCounters* supervisor) const {
  std::string out;
  out += "# HELP plughost_api_calls_total API calls by method, component and gRPC status.\n";
  out += "# TYPE plughost_api_calls_total counter\n";
  std::string histogram =
      "# HELP plughost_api_call_duration_seconds API call latency by method and component.\n"
      "# TYPE plughost_api_call_duration_seconds histogram\n";
  std::string errors =
      "# HELP plughost_api_errors_total API calls that did not end OK.\n"
      "# TYPE plughost_api_errors_total counter\n";
  {
    std::shared_lock lock(mutex_);
    for (const auto& [key, series] : series_) {
      auto labels = fmt::format("method=\"{}\",component=\"{}\"", EscapePrometheusLabel(key.first),
                                EscapePrometheusLabel(key.second));
      uint64_t failed = 0;
      for (size_t code = 0; code < series->by_code.size(); ++code) {
        auto count = series->by_code[code].load(std::memory_order_relaxed);
        if (count == 0) continue;
        if (code != 0) failed += count;
        out += fmt::format("plughost_api_calls_total{{{},code=\"{}\"}} {}\n", labels,
                           StatusCodeName(static_cast<grpc::StatusCode>(code)), count);
      }
      errors += fmt::format("plughost_api_errors_total{{{}}} {}\n", labels, failed);
      uint64_t cumulative = 0;
      for (size_t b = 0; b < series->buckets.size(); ++b) {
        cumulative += series->buckets[b].load(std::memory_order_relaxed);
        std::string le = b < kBuckets.size() ? fmt::format("{}", kBuckets[b]) : "+Inf";
        histogram += fmt::format("plughost_api_call_duration_seconds_bucket{{{},le=\"{}\"}} {}\n",
                                 labels, le, cumulative);
      }
      histogram += fmt::format("plughost_api_call_duration_seconds_sum{{{}}} {:.9f}\n", labels,
                               series->sum_nanos.load(std::memory_order_relaxed) / 1e9);
      histogram +=
          fmt::format("plughost_api_call_duration_seconds_count{{{}}} {}\n", labels, cumulative);
    }
  }
  out += errors + histogram;

  out += "# HELP plughost_component_up 1 when the component instance takes calls, else 0.\n";
  out += "# TYPE plughost_component_up gauge\n";
  std::string recoveries =
      "# HELP plughost_component_recoveries_total Times the instance was initialised again "
      "after its component came back.\n# TYPE plughost_component_recoveries_total counter\n";
  for (const auto& instance : instances.All()) {
    auto labels =
        fmt::format("name=\"{}\",type=\"{}\",kind=\"{}\"", EscapePrometheusLabel(instance->name),
                    EscapePrometheusLabel(instance->type), KindPrefix(instance->kind));
    out +=
        fmt::format("plughost_component_up{{{}}} {}\n", labels, instance->health->ready() ? 1 : 0);
    recoveries += fmt::format("plughost_component_recoveries_total{{{}}} {}\n", labels,
                              instance->health->recoveries.load());
  }
  out += recoveries;

  out += "# HELP plughost_discovery_sockets Sockets found by the startup scan, by outcome.\n";
  out += "# TYPE plughost_discovery_sockets gauge\n";
  out += fmt::format("plughost_discovery_sockets{{result=\"registered\"}} {}\n",
                     discovery_.registered);
  out += fmt::format("plughost_discovery_sockets{{result=\"skipped\"}} {}\n", discovery_.skipped);
  out += "# HELP plughost_discovery_duration_seconds Wall time of the startup scan.\n";
  out += "# TYPE plughost_discovery_duration_seconds gauge\n";
  out += fmt::format("plughost_discovery_duration_seconds {:.6f}\n", discovery_.seconds);
  if (supervisor) {
    out += "# HELP plughost_hotplug_events_total Sockets added or removed after startup.\n";
    out += "# TYPE plughost_hotplug_events_total counter\n";
    out += fmt::format("plughost_hotplug_events_total{{event=\"added\"}} {}\n",
                       supervisor->sockets_added.load());
    out += fmt::format("plughost_hotplug_events_total{{event=\"removed\"}} {}\n",
                       supervisor->sockets_removed.load());
    out += "# HELP plughost_recoveries_total Component instances brought back after a failure.\n";
    out += "# TYPE plughost_recoveries_total counter\n";
    out += fmt::format("plughost_recoveries_total {}\n", supervisor->recoveries.load());
    out += "# HELP plughost_failed_reinits_total Init attempts that failed during recovery.\n";
    out += "# TYPE plughost_failed_reinits_total counter\n";
    out += fmt::format("plughost_failed_reinits_total {}\n", supervisor->failed_reinits.load());
  }
  subscription_lag_.Render(out);
  out += "# HELP plughost_limit_hits_total Times a bound protected the host (docs/limits.md).\n";
  out += "# TYPE plughost_limit_hits_total counter\n";
  for (size_t i = 0; i < limit_hits::kNames.size(); ++i) {
    out += fmt::format("plughost_limit_hits_total{{limit=\"{}\"}} {}\n", limit_hits::kNames[i],
                       limit_hits::Hits(static_cast<limit_hits::Limit>(i)));
  }
  return out;
}

}  // namespace plughost
