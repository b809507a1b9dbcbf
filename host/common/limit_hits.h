// Counts of the times a bound protected the host: a handler that threw, a queue that was full,
// an answer that was too large. Any layer bumps them (components and wrappers cannot see the
// metrics object); /metrics renders them as plughost_limit_hits_total{limit="..."}. A fixed set
// of names, so no caller can add a series.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace plughost::limit_hits {

enum class Limit : size_t {
  kHandlerException,           // a unary API handler threw; the call answered INTERNAL
  kJsonTooDeep,                // a JSON document nested deeper than kMaxJsonDepth was refused
  kUnknownMethodLabel,         // a call to a method the host does not serve, metered as "unknown"
  kMetricsSeriesFull,          // a topic past the bound on per-topic series, metered as "(other)"
  kConfigurationQueueFull,     // a configuration subscriber did not read; its stream ended
  kPubsubQueueFull,            // a built-in pubsub subscriber was full; the publisher waited
  kComponentResponseTooLarge,  // a component's answer passed the receive limit
  kGrpcConnectionsFull,        // the gRPC API port was at --max-connections; a new one closed
  kHttpConnectionsFull,        // the Dapr HTTP API port was at its bound; a new one got 503
  kOpsConnectionsFull,         // the ops port (/healthz, ...) was at its bound; likewise
  kCount,
};

inline constexpr std::array<std::string_view, static_cast<size_t>(Limit::kCount)> kNames = {
    "handler_exception",
    "json_too_deep",
    "unknown_method",
    "metrics_series_full",
    "configuration_queue_full",
    "pubsub_queue_full",
    "component_response_too_large",
    "grpc_connections_full",
    "http_connections_full",
    "ops_connections_full",
};

inline std::array<std::atomic<uint64_t>, static_cast<size_t>(Limit::kCount)>& Counters() {
  static std::array<std::atomic<uint64_t>, static_cast<size_t>(Limit::kCount)> counters{};
  return counters;
}

inline void Hit(Limit limit) {
  Counters()[static_cast<size_t>(limit)].fetch_add(1, std::memory_order_relaxed);
}

inline uint64_t Hits(Limit limit) {
  return Counters()[static_cast<size_t>(limit)].load(std::memory_order_relaxed);
}

}  // namespace plughost::limit_hits
