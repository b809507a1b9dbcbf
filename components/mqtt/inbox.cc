#include "components/mqtt/inbox.h"

#include <mosquitto.h>

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

namespace plughost::mqtt {
namespace {

void InsertInOrder(std::deque<Kept>& queue, Kept kept) {
  auto at =
      std::upper_bound(queue.begin(), queue.end(), kept.sequence,
                       [](uint64_t sequence, const Kept& k) { return sequence < k.sequence; });
  queue.insert(at, std::move(kept));
}

}  // namespace

bool FilterMatches(const std::string& filter, const std::string& topic) {
  std::string plain = filter;
  if (plain.rfind("$share/", 0) == 0) {
    size_t slash = plain.find('/', 7);
    plain = slash == std::string::npos ? "" : plain.substr(slash + 1);
  }
  bool result = false;
  if (mosquitto_topic_matches_sub(plain.c_str(), topic.c_str(), &result) != MOSQ_ERR_SUCCESS) {
    return false;
  }
  return result;
}

Consumer::Consumer(std::weak_ptr<Inbox> inbox, std::string filter, Send send, InboxOptions options)
    : inbox_(std::move(inbox)),
      filter_(std::move(filter)),
      send_(std::move(send)),
      options_(options) {}

void Consumer::Take(Kept kept) {
  std::optional<Kept> returned;  // detached meanwhile: back to the inbox
  {
    absl::MutexLock lock(&mutex_);
    if (detached_) {
      returned = std::move(kept);
    } else {
      InsertInOrder(queue_, std::move(kept));
    }
  }
  if (returned) {
    if (auto inbox = inbox_.lock()) inbox->Hold({std::move(*returned)}, filter_);
    return;
  }
  Pump();
}

void Consumer::Pump() {
  absl::MutexLock send_lock(&send_mutex_);
  while (true) {
    std::string id;
    ReceivedMessage message;
    {
      absl::MutexLock lock(&mutex_);
      if (detached_ || queue_.empty() || in_flight_.size() >= options_.max_in_flight) return;
      id = "m" + std::to_string(++next_id_);
      message = queue_.front().message;
      in_flight_.emplace(id, std::move(queue_.front()));
      queue_.pop_front();
    }
    // A closed stream keeps it in flight: Detach gives it back.
    if (!send_(id, message)) return;
  }
}

void Consumer::OnAck(const std::string& id, bool success) {
  std::optional<Kept> rejected;
  {
    absl::MutexLock lock(&mutex_);
    auto it = in_flight_.find(id);
    if (it == in_flight_.end()) return;
    if (!success) rejected = std::move(it->second);
    in_flight_.erase(it);
  }
  if (rejected) {
    rejected->rejections++;
    if (options_.max_redeliveries >= 0 && rejected->rejections > options_.max_redeliveries) {
      std::fprintf(stderr,
                   "plughost-mqtt: a message of topic %s was rejected %d time(s); dropped "
                   "(backOffMaxRetries)\n",
                   rejected->message.topic.c_str(), rejected->rejections);
    } else if (auto inbox = inbox_.lock()) {
      inbox->LaterRetry(weak_from_this(), std::move(*rejected));
    }
  }
  Pump();
}

void Consumer::Detach() {
  std::deque<Kept> unacked;
  {
    absl::MutexLock lock(&mutex_);
    if (detached_) return;
    detached_ = true;
    unacked.swap(queue_);
    for (auto& [id, kept] : in_flight_) InsertInOrder(unacked, std::move(kept));
    in_flight_.clear();
  }
  if (auto inbox = inbox_.lock()) {
    inbox->Detached(this);
    inbox->Hold(std::move(unacked), filter_);
  }
}

void Inbox::Receive(ReceivedMessage message) {
  std::vector<std::shared_ptr<Consumer>> targets;
  Kept kept;
  {
    absl::MutexLock lock(&mutex_);
    kept.sequence = next_sequence_++;
    kept.message = std::move(message);
    for (const auto& consumer : consumers_) {
      if (FilterMatches(consumer->filter(), kept.message.topic)) targets.push_back(consumer);
    }
    if (targets.empty()) {
      held_.push_back({std::move(kept), ""});
      while (held_.size() > options_.max_held) {
        held_.pop_front();
        ++dropped_;
        if ((dropped_ & (dropped_ - 1)) == 0) {  // 1, 2, 4, 8...: no log flood
          std::fprintf(stderr,
                       "plughost-mqtt: %llu message(s) dropped: more than %zu held with no "
                       "subscriber\n",
                       static_cast<unsigned long long>(dropped_), options_.max_held);
        }
      }
      return;
    }
  }
  // Every target but the last gets a copy; the last takes the original.
  for (size_t i = 0; i + 1 < targets.size(); ++i) targets[i]->Take(kept);
  targets.back()->Take(std::move(kept));
}

std::shared_ptr<Consumer> Inbox::Attach(const std::string& filter, Consumer::Send send) {
  auto consumer = std::make_shared<Consumer>(weak_from_this(), filter, std::move(send), options_);
  {
    absl::MutexLock lock(&mutex_);
    absl::MutexLock consumer_lock(&consumer->mutex_);
    for (auto it = held_.begin(); it != held_.end();) {
      bool mine =
          it->filter.empty() ? FilterMatches(filter, it->kept.message.topic) : it->filter == filter;
      if (mine) {
        consumer->queue_.push_back(std::move(it->kept));  // held_ is in arrival order
        it = held_.erase(it);
      } else {
        ++it;
      }
    }
    consumers_.insert(consumer);
  }
  consumer->Pump();
  return consumer;
}

bool Inbox::FilterInUse(const std::string& filter) {
  absl::MutexLock lock(&mutex_);
  return std::any_of(consumers_.begin(), consumers_.end(),
                     [&](const auto& consumer) { return consumer->filter() == filter; });
}

void Inbox::Detached(const Consumer* consumer) {
  absl::MutexLock lock(&mutex_);
  for (auto it = consumers_.begin(); it != consumers_.end(); ++it) {
    if (it->get() == consumer) {
      consumers_.erase(it);
      return;
    }
  }
}

void Inbox::Hold(std::deque<Kept> kept, const std::string& filter) {
  if (kept.empty()) return;
  std::shared_ptr<Consumer> successor;  // another stream on the same filter takes them at once
  {
    absl::MutexLock lock(&mutex_);
    for (const auto& consumer : consumers_) {
      if (consumer->filter() == filter) {
        successor = consumer;
        break;
      }
    }
    if (!successor) {
      for (Kept& one : kept) {
        auto at = std::upper_bound(held_.begin(), held_.end(), one.sequence,
                                   [](uint64_t sequence, const HeldEntry& entry) {
                                     return sequence < entry.kept.sequence;
                                   });
        held_.insert(at, HeldEntry{std::move(one), filter});
      }
      return;
    }
  }
  for (Kept& one : kept) successor->Take(std::move(one));
}

void Inbox::LaterRetry(const std::weak_ptr<Consumer>& consumer, Kept kept) {
  Backoff backoff(options_.redelivery);
  std::chrono::milliseconds delay = backoff.NextDelay();
  for (int i = 1; i < kept.rejections; ++i) delay = backoff.NextDelay();
  std::string filter;
  if (auto alive = consumer.lock()) filter = alive->filter();
  retries_.After(delay,
                 [consumer, self = weak_from_this(), filter, kept = std::move(kept)]() mutable {
                   if (auto alive = consumer.lock()) {
                     alive->Take(std::move(kept));
                   } else if (auto inbox = self.lock()) {
                     inbox->Hold({std::move(kept)}, filter);
                   }
                 });
}

}  // namespace plughost::mqtt
