// At-least-once delivery on top of a client that acknowledges to the broker on receipt
// (libmosquitto sends PUBACK before the application sees a QoS 1 message). The Inbox keeps
// every received message until a consumer is done with it:
// - a message goes to each attached consumer whose filter matches its topic (MQTT wildcards,
//   `$share/<group>/` stripped), or is held when none matches (e.g. a persistent session's
//   backlog arriving before the host reopened its stream);
// - a consumer sends at most `max_in_flight` at a time; an ack ends a message, a rejection
//   sends it again after a backoff (up to `max_redeliveries`, -1 = forever);
// - a consumer that detaches (its stream ended) gives back what was not acked, and the next
//   consumer of the same filter gets it first.
// What the Inbox holds lives in this process only: a crash of the component loses it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/backoff.h"
#include "components/mqtt/client.h"
#include "components/mqtt/delay_queue.h"

namespace plughost::mqtt {

// Whether `topic` matches subscription `filter` (`+`, `#`; a `$share/<group>/` prefix ignored).
bool FilterMatches(const std::string& filter, const std::string& topic);

struct InboxOptions {
  size_t max_held = 10000;  // messages kept with no consumer; the oldest go first beyond it
  size_t max_in_flight = 256;
  int max_redeliveries = -1;
  Backoff::Options redelivery{std::chrono::milliseconds(500), 2.0, 0.2,
                              std::chrono::milliseconds(10000)};
};

// A message and how often it was rejected.
struct Kept {
  uint64_t sequence = 0;  // arrival order
  ReceivedMessage message;
  int rejections = 0;
};

class Inbox;

// One stream's share of the inbox.
class Consumer : public std::enable_shared_from_this<Consumer> {
 public:
  // Sends one delivery named `id`; false once the stream ended.
  using Send = std::function<bool(const std::string& id, const ReceivedMessage&)>;

  Consumer(std::weak_ptr<Inbox> inbox, std::string filter, Send send, InboxOptions options);

  // The host's verdict on delivery `id`: done, or rejected (sent again later).
  void OnAck(const std::string& id, bool success);
  // The stream ended: what was not acked goes back to the inbox. Idempotent.
  void Detach();

  const std::string& filter() const { return filter_; }

 private:
  friend class Inbox;
  void Take(Kept kept);  // queue in arrival order, then Pump()
  void Pump();           // sends while there is room

  const std::weak_ptr<Inbox> inbox_;
  const std::string filter_;
  const Send send_;
  const InboxOptions options_;
  absl::Mutex send_mutex_;  // serialises Pump, so deliveries leave in queue order
  absl::Mutex mutex_ ABSL_ACQUIRED_AFTER(send_mutex_);
  bool detached_ ABSL_GUARDED_BY(mutex_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mutex_) = 0;
  std::deque<Kept> queue_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, Kept> in_flight_ ABSL_GUARDED_BY(mutex_);
};

class Inbox : public std::enable_shared_from_this<Inbox> {
 public:
  explicit Inbox(InboxOptions options = {}) : options_(options) {}

  // From the client's network thread.
  void Receive(ReceivedMessage message);
  // A consumer for `filter`; it first gets what is held for it.
  std::shared_ptr<Consumer> Attach(const std::string& filter, Consumer::Send send);
  // Whether another attached consumer uses `filter` (so the MQTT subscription stays needed).
  bool FilterInUse(const std::string& filter);

  size_t held() {
    absl::MutexLock lock(&mutex_);
    return held_.size();
  }

 private:
  friend class Consumer;
  struct HeldEntry {
    Kept kept;
    std::string filter;  // the consumer filter it came back from; empty: never routed
  };
  void Hold(std::deque<Kept> kept, const std::string& filter);
  void Detached(const Consumer* consumer);
  void LaterRetry(const std::weak_ptr<Consumer>& consumer, Kept kept);

  const InboxOptions options_;
  DelayQueue retries_;
  absl::Mutex mutex_;
  uint64_t next_sequence_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t dropped_ ABSL_GUARDED_BY(mutex_) = 0;
  std::deque<HeldEntry> held_ ABSL_GUARDED_BY(mutex_);  // in arrival order
  std::set<std::shared_ptr<Consumer>> consumers_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace plughost::mqtt
