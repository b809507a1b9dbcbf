#include "host/builtins/in_memory_configuration_store.h"

#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>
#include <sys/stat.h>

#include <charconv>
#include <exception>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <utility>

#include "common/bounded_json.h"
#include "host/common/log.h"

namespace plughost {
namespace {

// A random id (UUID v4 form), unique across stores, since apps unsubscribe by id alone.
std::string NewSubscriptionId() {
  static std::mutex mutex;
  static std::mt19937_64 random{std::random_device{}()};
  uint64_t high, low;
  {
    std::lock_guard lock(mutex);
    high = random();
    low = random();
  }
  high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xffff,
                     high & 0xffff, low >> 48, low & 0xffffffffffffULL);
}

// "1" -> "2"; a version that is not a decimal number starts again at "1".
std::string NextVersion(const std::string& previous) {
  uint64_t number = 0;
  const char* end = previous.data() + previous.size();
  auto [ptr, ec] = std::from_chars(previous.data(), end, number);
  if (previous.empty() || ec != std::errc() || ptr != end) return "1";
  return std::to_string(number + 1);
}

std::string JsonText(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

bool SameContent(const configpb::ConfigurationItem& a, const configpb::ConfigurationItem& b) {
  configpb::ConfigurationItem a_copy = a, b_copy = b;
  a_copy.clear_version();
  b_copy.clear_version();
  return google::protobuf::util::MessageDifferencer::Equals(a_copy, b_copy);
}

}  // namespace

// Subscribers, shared with their handles so a handle can close after the store is gone.
class InMemoryConfigurationStore::SubscriberTable {
 public:
  struct Subscriber {
    std::set<std::string> keys;  // empty: every key
    ConfigurationUpdateHandler handler;
    std::string id;
    std::mutex delivery;  // held while `handler` runs
    bool active = true;   // guarded by `delivery`
  };

  void Add(std::shared_ptr<Subscriber> subscriber) {
    std::lock_guard lock(mutex_);
    subscribers_[subscriber->id] = std::move(subscriber);
  }

  void Remove(const std::string& id) {
    std::lock_guard lock(mutex_);
    subscribers_.erase(id);
  }

  size_t Size() {
    std::lock_guard lock(mutex_);
    return subscribers_.size();
  }

  // Sends each subscriber the part of `changed` it asked for.
  void Publish(const Items& changed) {
    if (changed.empty()) return;
    std::vector<std::shared_ptr<Subscriber>> subscribers;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [id, subscriber] : subscribers_) subscribers.push_back(subscriber);
    }
    for (const auto& subscriber : subscribers) {
      configpb::SubscribeConfigurationResponse batch;
      batch.set_id(subscriber->id);
      for (const auto& [key, item] : changed) {
        if (subscriber->keys.empty() || subscriber->keys.count(key)) {
          (*batch.mutable_items())[key] = item;
        }
      }
      if (batch.items().empty()) continue;
      std::lock_guard delivery(subscriber->delivery);
      if (!subscriber->active) continue;
      try {
        subscriber->handler(std::move(batch));
      } catch (const std::exception& e) {
        PH_LOG_ERROR("configuration", "update handler threw: {}", e.what());
      } catch (...) {
        PH_LOG_ERROR("configuration", "update handler threw a non-exception");
      }
    }
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Subscriber>> subscribers_;
};

namespace {

// Runs `close` once, on Close() or destruction.
class InMemorySubscription final : public Subscription {
 public:
  explicit InMemorySubscription(std::function<void()> close) : close_(std::move(close)) {}
  ~InMemorySubscription() override { Close(); }
  void Close() override {
    if (close_) std::exchange(close_, nullptr)();
  }

 private:
  std::function<void()> close_;
};

}  // namespace

InMemoryConfigurationStore::InMemoryConfigurationStore(std::chrono::milliseconds poll_interval)
    : poll_interval_(poll_interval), subscribers_(std::make_shared<SubscriberTable>()) {}

InMemoryConfigurationStore::~InMemoryConfigurationStore() { StopPolling(); }

void InMemoryConfigurationStore::Init(const InitSpec& spec, StatusCallback done) {
  StopPolling();
  Items metadata_items;
  std::string file;
  for (const auto& [key, value] : spec.metadata) {
    if (key == kFileKey) {
      file = value;
      continue;
    }
    // No version here: ApplyLocked gives "1", or one more when the value changes back to it.
    configpb::ConfigurationItem item;
    item.set_value(value);
    metadata_items[key] = std::move(item);
  }
  Items file_items;
  std::optional<FileStamp> stamp;
  if (!file.empty()) {
    stamp = Stamp(file);
    grpc::Status status = stamp ? ReadFile(file, &file_items)
                                : grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                               fmt::format("cannot read \"{}\"", file));
    if (!status.ok()) {
      done(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        fmt::format("metadata.{}: {}", kFileKey, status.error_message())));
      return;
    }
  }
  Items changed;
  {
    std::lock_guard lock(mutex_);
    metadata_items_ = std::move(metadata_items);
    file_ = file;
    stamp_ = stamp;
    last_problem_.clear();
    changed = ApplyLocked(file_items);
  }
  subscribers_->Publish(changed);
  if (!file.empty()) StartPolling();
  done(grpc::Status::OK);
}

std::optional<InMemoryConfigurationStore::FileStamp> InMemoryConfigurationStore::Stamp(
    const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  FileStamp stamp;
  stamp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  stamp.size = st.st_size;
  stamp.inode = st.st_ino;
  return stamp;
}

grpc::Status InMemoryConfigurationStore::ReadFile(const std::string& path, Items* items) const {
  auto invalid = [&](std::string why) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, fmt::format("\"{}\" {}", path, why));
  };
  std::ifstream in(path);
  if (!in) return invalid("cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  auto json = ParseBoundedJson(text.str());
  if (json.is_discarded() || !json.is_object()) return invalid("is not a JSON object");
  Items parsed;
  for (const auto& [key, entry] : json.items()) {
    configpb::ConfigurationItem item;
    if (entry.is_object()) {
      auto value = entry.find("value");
      if (value == entry.end() || value->is_null() || value->is_structured()) {
        return invalid(fmt::format("item \"{}\": an object item needs a \"value\" string", key));
      }
      item.set_value(JsonText(*value));
      if (auto version = entry.find("version"); version != entry.end() && !version->is_null()) {
        item.set_version(JsonText(*version));
      }
      if (auto metadata = entry.find("metadata"); metadata != entry.end()) {
        if (!metadata->is_object()) {
          return invalid(fmt::format("item \"{}\": \"metadata\" must be an object", key));
        }
        for (const auto& [name, value] : metadata->items()) {
          (*item.mutable_metadata())[name] = JsonText(value);
        }
      }
    } else if (entry.is_null() || entry.is_array()) {
      return invalid(
          fmt::format("item \"{}\": expected a string or an object with \"value\"", key));
    } else {
      item.set_value(JsonText(entry));
    }
    parsed[key] = std::move(item);
  }
  *items = std::move(parsed);
  return grpc::Status::OK;
}

InMemoryConfigurationStore::Items InMemoryConfigurationStore::ApplyLocked(const Items& file_items) {
  if (&file_items != &file_items_) file_items_ = file_items;
  Items next = metadata_items_;
  for (const auto& [key, item] : file_items_) next[key] = item;
  for (const auto& [key, item] : written_) {
    if (item) {
      next[key] = *item;
    } else {
      next.erase(key);
    }
  }
  Items changed;
  for (auto& [key, item] : next) {
    auto current = items_.find(key);
    if (item.version().empty()) {
      if (current == items_.end()) {
        item.set_version("1");
      } else {
        item.set_version(SameContent(current->second, item)
                             ? current->second.version()
                             : NextVersion(current->second.version()));
      }
    }
    if (current == items_.end() ||
        !google::protobuf::util::MessageDifferencer::Equals(current->second, item)) {
      changed[key] = item;
    }
  }
  for (const auto& [key, item] : items_) {
    if (!next.count(key)) changed[key] = configpb::ConfigurationItem{};
  }
  items_ = std::move(next);
  return changed;
}

void InMemoryConfigurationStore::Get(configpb::GetConfigurationRequest request,
                                     const CallOptions& /*options*/,
                                     Callback<configpb::GetConfigurationResponse> done) {
  configpb::GetConfigurationResponse response;
  {
    std::lock_guard lock(mutex_);
    if (request.keys().empty()) {
      response.mutable_items()->insert(items_.begin(), items_.end());
    } else {
      // Unknown keys are simply absent from the answer.
      for (const auto& key : request.keys()) {
        if (auto it = items_.find(key); it != items_.end()) {
          (*response.mutable_items())[key] = it->second;
        }
      }
    }
  }
  done(grpc::Status::OK, std::move(response));
}

std::unique_ptr<Subscription> InMemoryConfigurationStore::Subscribe(
    configpb::SubscribeConfigurationRequest request, ConfigurationUpdateHandler on_update,
    Callback<std::string> started) {
  auto subscriber = std::make_shared<SubscriberTable::Subscriber>();
  subscriber->keys.insert(request.keys().begin(), request.keys().end());
  subscriber->handler = std::move(on_update);
  subscriber->id = NewSubscriptionId();
  subscribers_->Add(subscriber);
  auto subscription = std::make_unique<InMemorySubscription>([table = subscribers_, subscriber] {
    {
      std::lock_guard delivery(subscriber->delivery);
      subscriber->active = false;
    }
    table->Remove(subscriber->id);
  });
  started(grpc::Status::OK, subscriber->id);
  return subscription;
}

void InMemoryConfigurationStore::Save(std::map<std::string, configpb::ConfigurationItem> items,
                                      std::map<std::string, std::string> /*metadata*/,
                                      const CallOptions& /*options*/, StatusCallback done) {
  Items changed;
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, item] : items) {
      if (item.value().empty()) {
        written_[key] = std::nullopt;
      } else {
        item.clear_version();  // ApplyLocked gives the next one
        written_[key] = std::move(item);
      }
    }
    changed = ApplyLocked(file_items_);
  }
  subscribers_->Publish(changed);
  done(grpc::Status::OK);
}

void InMemoryConfigurationStore::Delete(std::vector<std::string> keys,
                                        std::map<std::string, std::string> /*metadata*/,
                                        const CallOptions& /*options*/, StatusCallback done) {
  Items changed;
  {
    std::lock_guard lock(mutex_);
    for (auto& key : keys) written_[std::move(key)] = std::nullopt;
    changed = ApplyLocked(file_items_);
  }
  subscribers_->Publish(changed);
  done(grpc::Status::OK);
}

size_t InMemoryConfigurationStore::subscriber_count() const { return subscribers_->Size(); }

void InMemoryConfigurationStore::StartPolling() {
  std::lock_guard lock(poll_mutex_);
  stopping_ = false;
  poller_ = std::thread([this] { PollLoop(); });
}

void InMemoryConfigurationStore::StopPolling() {
  {
    std::lock_guard lock(poll_mutex_);
    stopping_ = true;
  }
  poll_cv_.notify_all();
  if (poller_.joinable()) poller_.join();
}

void InMemoryConfigurationStore::PollLoop() {
  std::unique_lock lock(poll_mutex_);
  while (!poll_cv_.wait_for(lock, poll_interval_, [this] { return stopping_; })) {
    lock.unlock();
    ReloadIfChanged();
    lock.lock();
  }
}

void InMemoryConfigurationStore::ReloadIfChanged() {
  std::string path;
  std::optional<FileStamp> known;
  {
    std::lock_guard lock(mutex_);
    path = file_;
    known = stamp_;
  }
  auto before = Stamp(path);
  if (before == known) return;
  Items file_items;
  grpc::Status status = before ? ReadFile(path, &file_items)
                               : grpc::Status(grpc::StatusCode::NOT_FOUND,
                                              fmt::format("\"{}\" cannot be read", path));
  // A file rewritten while it was read is read again on the next poll.
  if (Stamp(path) != before) return;
  Items changed;
  {
    std::lock_guard lock(mutex_);
    stamp_ = before;
    if (!status.ok()) {
      if (status.error_message() != last_problem_) {
        last_problem_ = status.error_message();
        PH_LOG_WARN("configuration", "configuration file {}; keeping the current items",
                    status.error_message());
      }
      return;
    }
    last_problem_.clear();
    changed = ApplyLocked(file_items);
  }
  subscribers_->Publish(changed);
}

}  // namespace plughost
