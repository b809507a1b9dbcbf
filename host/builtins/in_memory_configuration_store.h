// configuration.in-memory: configuration items held in the host, from metadata and a JSON file.
//
// Items:
//   - every Init metadata entry "<key>": "<value>" is an item with version "1", except the
//     reserved key "file";
//   - metadata "file" names a JSON object file {"<key>": <item>, ...} where <item> is a string
//     (or number/boolean, kept as its JSON text) or an object {"value", "version", "metadata"}.
//     File items override metadata items of the same key. The file must be readable and valid
//     at Init; afterwards it is watched (its mtime, size and inode polled every 200 ms from one
//     thread the store owns) and re-read whenever it changes. A file that turns unreadable or
//     invalid leaves the items as they were (one warning per distinct problem).
// Versions: an item's version is the file's "version" when given, else "1" when first seen and
// one more than before each time its value or metadata change.
// Save and Delete (Layotto's SaveConfiguration/DeleteConfiguration) write in memory only: a
// written or deleted key overrides the metadata and the file until the host restarts.
// Subscribers (empty keys = every key) receive each reload's changed and added items; an item
// that disappears is sent once with an empty value and version.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "host/components/configuration_store.h"

namespace plughost {

class InMemoryConfigurationStore : public ConfigurationStore {
 public:
  static constexpr std::chrono::milliseconds kDefaultPollInterval{200};
  static constexpr char kFileKey[] = "file";

  explicit InMemoryConfigurationStore(
      std::chrono::milliseconds poll_interval = kDefaultPollInterval);
  ~InMemoryConfigurationStore() override;

  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override { return {}; }
  void Ping(StatusCallback done) override { done(grpc::Status::OK); }

  void Get(configpb::GetConfigurationRequest request, const CallOptions& options,
           Callback<configpb::GetConfigurationResponse> done) override;
  std::unique_ptr<Subscription> Subscribe(configpb::SubscribeConfigurationRequest request,
                                          ConfigurationUpdateHandler on_update,
                                          Callback<std::string> started) override;
  void Save(std::map<std::string, configpb::ConfigurationItem> items,
            std::map<std::string, std::string> metadata, const CallOptions& options,
            StatusCallback done) override;
  void Delete(std::vector<std::string> keys, std::map<std::string, std::string> metadata,
              const CallOptions& options, StatusCallback done) override;

  // Open subscriptions (lets tests see a subscriber close).
  size_t subscriber_count() const;

 private:
  using Items = std::map<std::string, configpb::ConfigurationItem>;
  // What identifies one version of the file on disk.
  struct FileStamp {
    int64_t mtime_ns = 0;
    int64_t size = -1;
    uint64_t inode = 0;
    bool operator==(const FileStamp&) const = default;
  };
  class SubscriberTable;

  // Reads and parses the file; on failure returns the problem and leaves `items` alone.
  grpc::Status ReadFile(const std::string& path, Items* items) const;
  static std::optional<FileStamp> Stamp(const std::string& path);
  // Makes `metadata_items_` overlaid by `file_items` current, and returns what changed.
  Items ApplyLocked(const Items& file_items);
  void StartPolling();
  void StopPolling();
  void PollLoop();
  void ReloadIfChanged();

  const std::chrono::milliseconds poll_interval_;
  const std::shared_ptr<SubscriberTable> subscribers_;

  std::mutex mutex_;
  Items metadata_items_;
  Items file_items_;  // the file's items as last read
  // What the app saved (an item) or deleted (nullopt), over the metadata's and the file's.
  std::map<std::string, std::optional<configpb::ConfigurationItem>> written_;
  Items items_;  // what Get returns: metadata items overlaid by the file's, then by written_
  std::string file_;
  std::optional<FileStamp> stamp_;
  std::string last_problem_;  // the last reload problem logged, so each is logged once

  std::mutex poll_mutex_;
  std::condition_variable poll_cv_;
  bool stopping_ = false;
  std::thread poller_;
};

}  // namespace plughost
