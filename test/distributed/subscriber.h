// Test support for test/distributed: a streaming subscriber (SubscribeTopicEventsAlpha1) that
// records every event's data and answers SUCCESS at once, or holds its events unanswered.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test/support/running_host.h"

namespace plughost::testing {

class Subscriber {
 public:
  Subscriber(dapr::proto::runtime::v1::Dapr::Stub& dapr, const std::string& pubsub,
             const std::string& topic, bool answer)
      : answer_(answer) {
    namespace rt = ::dapr::proto::runtime::v1;
    stream_ = dapr.SubscribeTopicEventsAlpha1(&context_);
    rt::SubscribeTopicEventsRequestAlpha1 initial;
    initial.mutable_initial_request()->set_pubsub_name(pubsub);
    initial.mutable_initial_request()->set_topic(topic);
    stream_->Write(initial);
    reader_ = std::thread([this] {
      rt::SubscribeTopicEventsResponseAlpha1 response;
      while (stream_->Read(&response)) {
        if (response.has_initial_response()) {
          std::lock_guard lock(mutex_);
          opened_ = true;
          changed_.notify_all();
        }
        if (!response.has_event_message()) continue;
        const auto& event = response.event_message();
        {
          std::lock_guard lock(mutex_);
          received_.push_back(event.data());
          arrivals_.push_back(std::chrono::steady_clock::now());
        }
        if (answer_) {
          rt::SubscribeTopicEventsRequestAlpha1 processed;
          processed.mutable_event_processed()->set_id(event.id());
          processed.mutable_event_processed()->mutable_status()->set_status(
              rt::TopicEventResponse::SUCCESS);
          std::lock_guard lock(write_mutex_);
          stream_->Write(processed);
        }
      }
    });
  }
  ~Subscriber() {
    {
      std::lock_guard lock(write_mutex_);
      stream_->WritesDone();
    }
    context_.TryCancel();
    reader_.join();
    (void)stream_->Finish();
  }

  bool WaitOpened() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return opened_; });
  }
  std::vector<std::string> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  // When each event arrived, in received() order.
  std::vector<std::chrono::steady_clock::time_point> arrivals() {
    std::lock_guard lock(mutex_);
    return arrivals_;
  }
  size_t count() {
    std::lock_guard lock(mutex_);
    return received_.size();
  }

 private:
  const bool answer_;
  grpc::ClientContext context_;
  std::unique_ptr<
      grpc::ClientReaderWriter<dapr::proto::runtime::v1::SubscribeTopicEventsRequestAlpha1,
                               dapr::proto::runtime::v1::SubscribeTopicEventsResponseAlpha1>>
      stream_;
  std::thread reader_;
  std::mutex write_mutex_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool opened_ = false;
  std::vector<std::string> received_;
  std::vector<std::chrono::steady_clock::time_point> arrivals_;
};

}  // namespace plughost::testing
