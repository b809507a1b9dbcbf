#include "host/app_callback/delivery_support.h"

#include <cctype>
#include <charconv>
#include <utility>

#include "host/common/log.h"
#include "host/resiliency/circuit_breaker_of.h"

namespace plughost::delivery {
namespace {

constexpr auto kDeadLetterTimeout = std::chrono::seconds(30);

bool IsValidKey(std::string_view key) {
  if (key.empty()) return false;
  for (unsigned char c : key) {
    if (!(std::islower(c) || std::isdigit(c) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

bool IsPrintable(std::string_view value) {
  for (unsigned char c : value) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

std::string Lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void AddEventMetadata(grpc::ClientContext* context, const Metadata& message_metadata,
                      std::string_view pubsub_name) {
  for (const auto& [raw_key, value] : message_metadata) {
    std::string key = Lowercase(raw_key);
    if (key == "content-type" || key == "content-length") continue;
    if (!IsValidKey(key) || key.rfind("grpc-", 0) == 0 || key.ends_with("-bin")) continue;
    if (!IsPrintable(value)) continue;
    if (key == "pubsubname") continue;  // always the host's own, below
    context->AddMetadata(key, value);
  }
  context->AddMetadata("pubsubname", std::string(pubsub_name));
}

int MaxConcurrencyOf(const Metadata& subscription_metadata, std::string* warning) {
  auto it = subscription_metadata.find(kMaxConcurrencyKey);
  if (it == subscription_metadata.end() || it->second.empty()) return 1;
  int value = 0;
  const std::string& text = it->second;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1) {
    *warning = std::string(kMaxConcurrencyKey) + " '" + text +
               "' is not a positive integer; delivering one message at a time";
    return 1;
  }
  return value;
}

void PublishDeadLetter(const InstancePtr& pubsub, const std::string& dead_letter_topic,
                       const pubsubpb::PullMessagesResponse& message, StatusCallback done) {
  pubsubpb::PublishRequest request;
  request.set_pubsub_name(pubsub->name);
  request.set_topic(dead_letter_topic);
  request.set_data(message.data());
  request.set_content_type(message.content_type());
  request.mutable_metadata()->insert(message.metadata().begin(), message.metadata().end());
  CallOptions options;
  options.default_timeout = kDeadLetterTimeout;
  // The instance pointer holds the component alive until the publish has answered.
  pubsub->As<PubSub>()->Publish(
      std::move(request), options,
      [pubsub, done = std::move(done)](grpc::Status status) mutable { done(std::move(status)); });
}

const DeliveryPolicySpec* InboundPolicyOf(const std::map<std::string, DeliveryPolicySpec>& policies,
                                          const std::string& pubsub_name) {
  if (auto it = policies.find(pubsub_name); it != policies.end()) return &it->second;
  if (auto it = policies.find(""); it != policies.end()) return &it->second;
  return nullptr;
}

std::shared_ptr<CircuitBreaker> InboundBreakers::Of(const std::string& pubsub_name,
                                                    const DeliveryPolicySpec& policy) {
  if (!policy.circuit_breaker) return nullptr;
  absl::MutexLock lock(&mutex_);
  if (auto it = breakers_.find(pubsub_name); it != breakers_.end()) return it->second;
  auto breaker = CircuitBreakerOf(*policy.circuit_breaker, "pubsub '" + pubsub_name + "'");
  breakers_[pubsub_name] = breaker;
  return breaker;
}

BreakerCall& BreakerCall::operator=(BreakerCall&& other) noexcept {
  if (this != &other) {
    Release();
    breaker_ = std::move(other.breaker_);
    token_ = std::exchange(other.token_, std::nullopt);
    refused_ = std::exchange(other.refused_, false);
  }
  return *this;
}

BreakerCall BreakerCall::Ask(std::shared_ptr<CircuitBreaker> breaker) {
  BreakerCall call;
  if (!breaker) return call;
  call.token_ = breaker->Allow();
  call.refused_ = !call.token_;
  call.breaker_ = std::move(breaker);
  return call;
}

void BreakerCall::Record(bool success, std::string_view pubsub_name) {
  if (!token_) return;
  auto change = breaker_->Record(*std::exchange(token_, std::nullopt), success);
  if (change) {
    PH_LOG_WARN("pubsub", "pubsub '{}': inbound circuit breaker '{}' is now {}", pubsub_name,
                breaker_->name(), StateName(*change));
  }
}

grpc::Status BreakerCall::RefusedStatus() const {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "circuit breaker '" + (breaker_ ? breaker_->name() : "") + "' is open");
}

void BreakerCall::Release() {
  if (breaker_ && token_) breaker_->Abandon(*token_);
  token_.reset();
}

}  // namespace plughost::delivery
