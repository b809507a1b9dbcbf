// Several hosts, one Redis: three replicas of one app (each host with its own plughost-redis
// process) and one host of a second app share one lock space, one id space, one state and one
// message stream. Everything goes through the hosts' public APIs; Redis is real.
#include <catch2/catch.hpp>

#include <csignal>

#include <atomic>
#include <set>
#include <thread>

#include "test/distributed/cluster.h"
#include "test/distributed/subscriber.h"

namespace plughost::testing {
namespace {

using namespace std::chrono_literals;
namespace rt = ::dapr::proto::runtime::v1;
namespace layotto = ::spec::proto::runtime::v1;

struct Cluster {
  TempDir dir;
  RedisServer redis{dir};
  std::vector<std::unique_ptr<Replica>> replicas;  // app "orders"
  std::unique_ptr<Replica> other;                  // app "audit"

  explicit Cluster(bool with_other = false) {
    REQUIRE(redis.started());
    for (int i = 0; i < 3; ++i) {
      replicas.push_back(StartReplica(dir, "r" + std::to_string(i), "orders", redis));
      INFO(replicas.back()->host->Log());
      REQUIRE(replicas.back()->host->started());
    }
    if (with_other) {
      other = StartReplica(dir, "audit", "audit", redis);
      REQUIRE(other->host->started());
    }
  }
};

struct Got {
  grpc::Status status;
  std::string data;
  std::string etag;
};

Got GetState(Replica& replica, const std::string& key) {
  rt::GetStateRequest request;
  request.set_store_name("statestore");
  request.set_key(key);
  rt::GetStateResponse response;
  auto status = replica.dapr().GetState(Deadline().get(), request, &response);
  return {status, response.data(), response.etag()};
}

grpc::Status SaveState(Replica& replica, const std::string& key, const std::string& value,
                       const std::string& etag = "", bool first_write = false) {
  rt::SaveStateRequest request;
  request.set_store_name("statestore");
  auto* item = request.add_states();
  item->set_key(key);
  item->set_value(value);
  if (!etag.empty()) item->mutable_etag()->set_value(etag);
  if (first_write) {
    item->mutable_options()->set_concurrency(
        dapr::proto::common::v1::StateOptions::CONCURRENCY_FIRST_WRITE);
  }
  google::protobuf::Empty empty;
  return replica.dapr().SaveState(Deadline().get(), request, &empty);
}

grpc::Status TryLock(Replica& replica, const std::string& resource, const std::string& owner,
                     bool* success) {
  rt::TryLockRequest request;
  request.set_store_name("lockstore");
  request.set_resource_id(resource);
  request.set_lock_owner(owner);
  request.set_expiry_in_seconds(30);
  rt::TryLockResponse response;
  auto status = replica.dapr().TryLockAlpha1(Deadline().get(), request, &response);
  *success = response.success();
  return status;
}

grpc::Status Unlock(Replica& replica, const std::string& resource, const std::string& owner,
                    rt::UnlockResponse::Status* outcome) {
  rt::UnlockRequest request;
  request.set_store_name("lockstore");
  request.set_resource_id(resource);
  request.set_lock_owner(owner);
  rt::UnlockResponse response;
  auto status = replica.dapr().UnlockAlpha1(Deadline().get(), request, &response);
  *outcome = response.status();
  return status;
}

grpc::Status NextId(Replica& replica, const std::string& key, int64_t* id) {
  layotto::GetNextIdRequest request;
  request.set_store_name("ids");
  request.set_key(key);
  request.mutable_options()->set_increment(layotto::SequencerOptions::STRONG);
  layotto::GetNextIdResponse response;
  auto status = replica.layotto().GetNextId(Deadline().get(), request, &response);
  *id = response.next_id();
  return status;
}

grpc::Status Publish(Replica& replica, const std::string& topic, const std::string& data) {
  rt::PublishEventRequest request;
  request.set_pubsub_name("pubsub");
  request.set_topic(topic);
  request.set_data(data);
  request.set_data_content_type("text/plain");
  google::protobuf::Empty empty;
  return replica.dapr().PublishEvent(Deadline().get(), request, &empty);
}

// Runs `body(replica index)` on one thread per replica; returns when all are done.
template <typename Body>
void OnEveryReplica(Cluster& cluster, Body body) {
  std::vector<std::thread> threads;
  for (size_t i = 0; i < cluster.replicas.size(); ++i) threads.emplace_back([&, i] { body(i); });
  for (auto& thread : threads) thread.join();
}

}  // namespace

TEST_CASE("a lock taken through one replica excludes the others: 3 x 100 increments",
          "[distributed]") {
  Cluster cluster;
  std::atomic<int> errors{0};
  OnEveryReplica(cluster, [&](size_t r) {
    Replica& replica = *cluster.replicas[r];
    for (int i = 0; i < 100; ++i) {
      std::string owner = "r" + std::to_string(r) + "-" + std::to_string(i);
      bool locked = false;
      while (!locked) {
        if (!TryLock(replica, "counter", owner, &locked).ok()) {
          ++errors;
          return;
        }
        if (!locked) std::this_thread::sleep_for(1ms);
      }
      Got got = GetState(replica, "lock-counter");
      int value = got.data.empty() ? 0 : std::stoi(got.data);
      if (!got.status.ok() || !SaveState(replica, "lock-counter", std::to_string(value + 1)).ok())
        ++errors;
      rt::UnlockResponse::Status outcome;
      if (!Unlock(replica, "counter", owner, &outcome).ok() ||
          outcome != rt::UnlockResponse::SUCCESS) {
        ++errors;
      }
    }
  });
  CHECK(errors == 0);
  CHECK(GetState(*cluster.replicas[0], "lock-counter").data == "300");
}

TEST_CASE("sequencer ids are distinct across replicas and increase per host", "[distributed]") {
  Cluster cluster;
  std::vector<std::vector<int64_t>> ids(3);
  OnEveryReplica(cluster, [&](size_t r) {
    for (int i = 0; i < 200; ++i) {
      int64_t id = 0;
      if (NextId(*cluster.replicas[r], "orders", &id).ok()) ids[r].push_back(id);
    }
  });
  std::set<int64_t> all;
  for (const auto& host_ids : ids) {
    CHECK(host_ids.size() == 200);
    CHECK(std::is_sorted(host_ids.begin(), host_ids.end()));
    CHECK(std::adjacent_find(host_ids.begin(), host_ids.end()) == host_ids.end());
    all.insert(host_ids.begin(), host_ids.end());
  }
  CHECK(all.size() == 600);
}

TEST_CASE("concurrent read-modify-write with ETags from three replicas loses no update",
          "[distributed]") {
  Cluster cluster;
  std::atomic<int> conflicts{0};
  std::atomic<int> errors{0};
  OnEveryReplica(cluster, [&](size_t r) {
    Replica& replica = *cluster.replicas[r];
    for (int i = 0; i < 50; ++i) {
      while (true) {
        Got got = GetState(replica, "rmw");
        if (!got.status.ok()) {
          ++errors;
          return;
        }
        int value = got.data.empty() ? 0 : std::stoi(got.data);
        // No ETag yet (no key): first-write, so that only one replica creates it.
        grpc::Status saved =
            SaveState(replica, "rmw", std::to_string(value + 1), got.etag, got.etag.empty());
        if (saved.ok()) break;
        if (saved.error_code() != grpc::StatusCode::ABORTED) {
          ++errors;
          return;
        }
        ++conflicts;
      }
    }
  });
  CHECK(errors == 0);
  CHECK(GetState(*cluster.replicas[1], "rmw").data == "150");
  WARN("ETag conflicts retried: " << conflicts.load());
}

TEST_CASE("keys are stored in Dapr's layout, readable both ways with redis-cli", "[distributed]") {
  Cluster cluster;
  Replica& replica = *cluster.replicas[0];
  REQUIRE(SaveState(replica, "layout", "written by plughost").ok());
  REQUIRE(SaveState(replica, "layout", "written by plughost again").ok());
  // The host prefixes the app id; the hash holds data and version (ETag 2 after two writes).
  std::string hash = cluster.redis.Cli({"HGETALL", "orders||layout"});
  CHECK_THAT(hash, Catch::Contains("data\nwritten by plughost again\n"));
  CHECK_THAT(hash, Catch::Contains("version\n2\n"));
  CHECK(GetState(replica, "layout").etag == "2");

  cluster.redis.Cli({"HSET", "orders||from-cli", "data", "written by redis-cli", "version", "7"});
  Got got = GetState(*cluster.replicas[2], "from-cli");
  CHECK(got.data == "written by redis-cli");
  CHECK(got.etag == "7");
  CHECK(SaveState(*cluster.replicas[2], "from-cli", "stale", "6").error_code() ==
        grpc::StatusCode::ABORTED);
  CHECK(SaveState(*cluster.replicas[2], "from-cli", "next", "7").ok());
  CHECK_THAT(cluster.redis.Cli({"HGET", "orders||from-cli", "version"}), Catch::StartsWith("8"));
}

TEST_CASE("after Redis restarts, every host's components recover without a host restart",
          "[distributed]") {
  Cluster cluster;
  for (auto& replica : cluster.replicas) REQUIRE(SaveState(*replica, "before", "x").ok());
  Subscriber subscriber(cluster.replicas[0]->dapr(), "pubsub", "after-restart", true);
  REQUIRE(subscriber.WaitOpened());
  REQUIRE(Publish(*cluster.replicas[1], "after-restart", "before").ok());
  REQUIRE(Eventually([&] { return subscriber.count() == 1; }));
  REQUIRE(cluster.redis.Restart());
  for (auto& replica : cluster.replicas) {
    INFO(replica->host->Log());
    CHECK(Eventually([&] { return SaveState(*replica, "after", "y").ok(); }, 30s));
    CHECK(Eventually(
        [&] {
          bool locked = false;
          return TryLock(*replica, "after-restart-" + replica->sockets, "me", &locked).ok() &&
                 locked;
        },
        30s));
    int64_t id = 0;
    CHECK(Eventually([&] { return NextId(*replica, "after", &id).ok() && id > 0; }, 30s));
    CHECK(replica->host->process().WaitExit(0ms) == std::nullopt);  // never restarted
  }
  // The open subscription resumes on the new server (its stream and group re-created).
  CHECK(Eventually(
      [&] {
        (void)Publish(*cluster.replicas[2], "after-restart", "after");
        return subscriber.count() > 1;
      },
      30s));
  auto received = subscriber.received();
  CHECK(std::find(received.begin(), received.end(), "after") != received.end());
}

TEST_CASE("1,000 messages: each goes to one replica, and all to the second app",
          "[distributed][pubsub]") {
  Cluster cluster(/*with_other=*/true);
  std::vector<std::unique_ptr<Subscriber>> subscribers;
  for (auto& replica : cluster.replicas) {
    subscribers.push_back(std::make_unique<Subscriber>(replica->dapr(), "pubsub", "orders", true));
    REQUIRE(subscribers.back()->WaitOpened());
  }
  Subscriber audit(cluster.other->dapr(), "pubsub", "orders", true);
  REQUIRE(audit.WaitOpened());

  std::atomic<int> errors{0};
  OnEveryReplica(cluster, [&](size_t r) {
    for (int i = static_cast<int>(r); i < 1000; i += 3) {
      if (!Publish(*cluster.replicas[r], "orders", std::string("m-").append(std::to_string(i)))
               .ok())
        ++errors;
    }
  });
  CHECK(errors == 0);
  auto delivered = [&] {
    size_t total = 0;
    for (auto& subscriber : subscribers) total += subscriber->count();
    return total;
  };
  CHECK(Eventually([&] { return delivered() >= 1000 && audit.count() >= 1000; }, 60s));
  std::this_thread::sleep_for(500ms);  // room for a duplicate to show up
  std::multiset<std::string> all;
  for (auto& subscriber : subscribers) {
    auto received = subscriber->received();
    all.insert(received.begin(), received.end());
    WARN("replica received " << received.size());
    CHECK(!received.empty());  // the replicas compete: every one gets a share
  }
  CHECK(all.size() == 1000);
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == 1000);
  auto audited = audit.received();
  CHECK(std::set<std::string>(audited.begin(), audited.end()).size() == 1000);
  CHECK(std::set<std::string>(all.begin(), all.end()).count("m-999") == 1);
  // No component names a consumerID: the host gave each app's pub/sub its app id, as daprd
  // does, so the stream has exactly one consumer group per app.
  std::string groups = cluster.redis.Cli({"XINFO", "GROUPS", "orders"});
  INFO(groups);
  CHECK_THAT(groups, Catch::Contains("name\norders\n") && Catch::Contains("name\naudit\n"));
  CHECK(Catch::Contains("consumers\n1\n").match(groups));
}

TEST_CASE("a replica killed mid-stream: a survivor delivers its unacked messages",
          "[distributed][pubsub]") {
  Cluster cluster;
  auto survivor0 =
      std::make_unique<Subscriber>(cluster.replicas[0]->dapr(), "pubsub", "jobs", true);
  auto survivor1 =
      std::make_unique<Subscriber>(cluster.replicas[1]->dapr(), "pubsub", "jobs", true);
  // The doomed replica takes messages and never answers.
  auto doomed = std::make_unique<Subscriber>(cluster.replicas[2]->dapr(), "pubsub", "jobs", false);
  REQUIRE(survivor0->WaitOpened());
  REQUIRE(survivor1->WaitOpened());
  REQUIRE(doomed->WaitOpened());
  for (int i = 0; i < 300; ++i) {
    REQUIRE(Publish(*cluster.replicas[i % 2], "jobs", std::string("j-").append(std::to_string(i)))
                .ok());
  }
  REQUIRE(Eventually([&] { return doomed->count() > 0; }));
  size_t held = doomed->count();
  cluster.replicas[2]->host->process().Signal(SIGKILL);
  cluster.replicas[2]->component->Signal(SIGKILL);
  doomed.reset();

  auto survivors_have_all = [&] {
    std::set<std::string> seen;
    for (auto* subscriber : {survivor0.get(), survivor1.get()}) {
      auto received = subscriber->received();
      seen.insert(received.begin(), received.end());
    }
    return seen.size() == 300;
  };
  CHECK(Eventually(survivors_have_all, 60s));
  WARN("the killed replica held " << held << " unacked messages");
}

TEST_CASE("a redis-cli SET reaches configuration subscribers on every host",
          "[distributed][configuration]") {
  Cluster cluster(/*with_other=*/true);
  std::vector<Replica*> hosts;
  for (auto& replica : cluster.replicas) hosts.push_back(replica.get());
  hosts.push_back(cluster.other.get());

  struct Watch {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<rt::SubscribeConfigurationResponse>> reader;
    std::thread thread;
    std::mutex mutex;
    bool confirmed = false;
    std::string value;  // latest value of "feature"
  };
  std::vector<std::unique_ptr<Watch>> watches;
  for (Replica* host : hosts) {
    auto watch = std::make_unique<Watch>();
    rt::SubscribeConfigurationRequest request;
    request.set_store_name("config");
    request.add_keys("feature");
    watch->reader = host->dapr().SubscribeConfiguration(&watch->context, request);
    watch->thread = std::thread([w = watch.get()] {
      rt::SubscribeConfigurationResponse response;
      while (w->reader->Read(&response)) {
        std::lock_guard lock(w->mutex);
        w->confirmed = true;
        if (auto it = response.items().find("feature"); it != response.items().end()) {
          w->value = it->second.value() + "@" + it->second.version();
        }
      }
    });
    watches.push_back(std::move(watch));
  }
  auto all = [&](auto condition) {
    return Eventually([&] {
      for (auto& watch : watches) {
        std::lock_guard lock(watch->mutex);
        if (!condition(*watch)) return false;
      }
      return true;
    });
  };
  REQUIRE(all([](Watch& w) { return w.confirmed; }));
  // Every host's component listens on the key's keyspace channel.
  auto listening = [&] {
    return Eventually(
        [&] {
          return cluster.redis.Cli({"PUBSUB", "NUMSUB", "__keyspace@0__:feature"}) ==
                 "__keyspace@0__:feature\n4\n";
        },
        30s);
  };
  REQUIRE(listening());
  cluster.redis.Cli({"SET", "feature", "on||2"});
  CHECK(all([](Watch& w) { return w.value == "on@2"; }));
  cluster.redis.Cli({"DEL", "feature"});
  CHECK(all([](Watch& w) { return w.value == "@"; }));  // a delete: an empty item

  // Redis restarts (forgetting notify-keyspace-events): the subscriptions come back by themselves.
  REQUIRE(cluster.redis.Restart());
  REQUIRE(listening());
  cluster.redis.Cli({"SET", "feature", "back||3"});
  CHECK(all([](Watch& w) { return w.value == "back@3"; }));
  for (auto& watch : watches) {
    watch->context.TryCancel();
    watch->thread.join();
  }
}

}  // namespace plughost::testing
