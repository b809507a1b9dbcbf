// plughost-redis-bench: host -> plughost-redis -> Redis GetState / SaveState, p50 and calls/s at
// 1 and 32 calls in flight (one blocking caller per call in flight), beside redis-benchmark
// GET/SET on the same server as the floor; pub/sub end to end with one and three replicas; and
// plughost-redis's RSS. Starts its own redis-server, plughost-redis processes and hosts. Run by
// hand (one line):
//   REDIS_SERVER_BIN=$(which redis-server) REDIS_CLI_BIN=$(which redis-cli)
//   PLUGHOST_BIN=build/host/app/plughost
//   REDIS_COMPONENT_BIN=build/components/redis/plughost-redis
//   build/bench/plughost-redis-bench [seconds per case]
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "test/distributed/cluster.h"
#include "test/distributed/subscriber.h"
#include "test/redis/redis_server.h"
#include "test/support/running_host.h"

namespace plughost::testing {
namespace {

namespace rt = ::dapr::proto::runtime::v1;
using Clock = std::chrono::steady_clock;

struct Figures {
  double p50_us = 0;
  double calls_per_second = 0;
  int64_t errors = 0;
};

template <typename Call>
Figures Measure(int in_flight, std::chrono::milliseconds duration, Call call) {
  std::vector<std::vector<double>> latencies(in_flight);
  std::atomic<int64_t> errors{0};
  auto start = Clock::now();
  auto end = start + duration;
  std::vector<std::thread> threads;
  for (int t = 0; t < in_flight; ++t) {
    threads.emplace_back([&, t] {
      while (Clock::now() < end) {
        auto before = Clock::now();
        if (!call(t)) {
          ++errors;
          continue;
        }
        latencies[t].push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - before).count());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& part : latencies) all.insert(all.end(), part.begin(), part.end());
  Figures figures;
  figures.errors = errors;
  if (!all.empty()) {
    std::nth_element(all.begin(), all.begin() + all.size() / 2, all.end());
    figures.p50_us = all[all.size() / 2];
  }
  figures.calls_per_second = static_cast<double>(all.size()) / seconds;
  return figures;
}

// redis-benchmark's CSV: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",...
Figures RedisBenchmark(const TempDir& dir, int port, const std::string& test, int clients) {
  std::string bin = RequiredEnv("REDIS_SERVER_BIN");
  bin = bin.substr(0, bin.rfind('/') + 1) + "redis-benchmark";
  static int runs = 0;
  auto process =
      ChildProcess::Spawn({bin, "-p", std::to_string(port), "-t", test, "-c",
                           std::to_string(clients), "-n", "50000", "-d", "100", "--csv"},
                          dir.File("redis-benchmark-" + std::to_string(++runs) + ".log"));
  process->WaitExit(std::chrono::seconds(120));
  std::istringstream lines(process->Log());
  Figures figures;
  for (std::string line; std::getline(lines, line);) {
    const char* row_name = test == "get" ? "\"GET\"" : "\"SET\"";
    if (line.rfind(row_name, 0) != 0) continue;
    std::vector<std::string> cells;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) {
      cells.push_back(cell.size() >= 2 ? cell.substr(1, cell.size() - 2) : cell);
    }
    if (cells.size() >= 5) {
      figures.calls_per_second = std::stod(cells[1]);
      figures.p50_us = std::stod(cells[4]) * 1000;
    }
  }
  return figures;
}

long RssKb(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// Publish -> streaming subscriber through Redis Streams with `replicas` replicas of one app (each
// with its own host and plughost-redis): p50 of single messages published one at a time, and
// messages/s of a burst published from 8 callers, until every message arrived somewhere.
void PubSubEndToEnd(const TempDir& dir, const RedisServer& redis, int replicas) {
  static int runs = 0;
  std::string app = "e2e" + std::to_string(++runs);
  std::vector<std::unique_ptr<Replica>> cluster;
  std::vector<std::unique_ptr<Subscriber>> subscribers;
  for (int i = 0; i < replicas; ++i) {
    cluster.push_back(StartReplica(dir, app + "-" + std::to_string(i), app, redis));
    if (!cluster.back()->host->started()) {
      fmt::print("pub/sub {} replica(s): a host did not start\n", replicas);
      return;
    }
    subscribers.push_back(
        std::make_unique<Subscriber>(cluster.back()->dapr(), "pubsub", "bench", true));
    subscribers.back()->WaitOpened();
  }
  auto publish = [&](Replica& replica, const std::string& data) {
    rt::PublishEventRequest request;
    request.set_pubsub_name("pubsub");
    request.set_topic("bench");
    request.set_data(data);
    request.set_data_content_type("text/plain");
    google::protobuf::Empty empty;
    return replica.dapr().PublishEvent(Deadline().get(), request, &empty).ok();
  };
  auto total = [&] {
    size_t count = 0;
    for (auto& subscriber : subscribers) count += subscriber->count();
    return count;
  };
  // One at a time: each message waits for the previous one's arrival.
  std::vector<double> latencies;
  for (int i = 0; i < 200; ++i) {
    size_t before = total();
    auto sent = Clock::now();
    if (!publish(*cluster[i % replicas], "one-" + std::to_string(i))) continue;
    if (!Eventually([&] { return total() > before; }, std::chrono::seconds(10))) break;
    Clock::time_point arrived = sent;
    for (auto& subscriber : subscribers) {
      auto arrivals = subscriber->arrivals();
      if (!arrivals.empty()) arrived = std::max(arrived, arrivals.back());
    }
    latencies.push_back(std::chrono::duration<double, std::micro>(arrived - sent).count());
  }
  std::sort(latencies.begin(), latencies.end());
  // A burst from 8 callers.
  const int burst = 2000;
  size_t before = total();
  auto start = Clock::now();
  std::vector<std::thread> callers;
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&, t] {
      for (int i = t; i < burst; i += 8)
        publish(*cluster[i % replicas], "burst-" + std::to_string(i));
    });
  }
  for (auto& caller : callers) caller.join();
  bool all = Eventually([&] { return total() >= before + burst; }, std::chrono::seconds(60));
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  fmt::print(
      "| pub/sub publish -> subscriber, {} replica(s) | p50 {:.0f} µs (one at a time) |"
      " {:.0f} msg/s ({} of {} in {:.2f} s) |\n",
      replicas, latencies.empty() ? 0.0 : latencies[latencies.size() / 2],
      (total() - before) / seconds, total() - before, burst, seconds);
  (void)all;
}

int Main(int argc, char** argv) {
  auto duration = std::chrono::milliseconds(argc > 1 ? std::stoi(argv[1]) * 1000 : 3000);
  TempDir dir;
  RedisServer redis(dir);
  if (!redis.started()) return 1;
  std::string sockets = dir.File("sockets");
  ::mkdir(sockets.c_str(), 0700);
  auto component = ChildProcess::Spawn(
      {RequiredEnv("REDIS_COMPONENT_BIN"), "--sockets-dir", sockets}, dir.File("component.log"));
  for (const char* kind : {"state", "lock", "sequencer", "pubsub", "configuration", "bindings"}) {
    WaitForSocket(sockets + "/redis-" + kind + ".sock", std::chrono::seconds(10));
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  long idle_rss = RssKb(component->pid());
  std::string config = dir.File("config.json");
  WriteFile(config, R"({"app_id": "bench", "components": [
    {"name": "statestore", "type": "state.redis-state", "metadata": {"redisHost": ")" +
                        redis.address() + R"(", "poolSize": "32"}}]})");
  RunningHost host(dir, sockets, {"--config", config});
  if (!host.started()) {
    std::fprintf(stderr, "host did not start:\n%s\n", host.Log().c_str());
    return 1;
  }
  const std::string value(100, 'v');
  {
    rt::SaveStateRequest request;
    request.set_store_name("statestore");
    auto* item = request.add_states();
    item->set_key("bench-get");
    item->set_value(value);
    google::protobuf::Empty empty;
    if (!host.dapr().SaveState(Deadline().get(), request, &empty).ok()) return 1;
  }
  auto get = [&](int) {
    rt::GetStateRequest request;
    request.set_store_name("statestore");
    request.set_key("bench-get");
    rt::GetStateResponse response;
    return host.dapr().GetState(Deadline().get(), request, &response).ok() &&
           response.data().size() == value.size();
  };
  auto save = [&](int t) {
    rt::SaveStateRequest request;
    request.set_store_name("statestore");
    auto* item = request.add_states();
    item->set_key("bench-set-" + std::to_string(t));
    item->set_value(value);
    google::protobuf::Empty empty;
    return host.dapr().SaveState(Deadline().get(), request, &empty).ok();
  };

  fmt::print("host -> plughost-redis -> redis-server 7, 100 B values, {} ms per case, {} CPU(s)\n",
             duration.count(), std::thread::hardware_concurrency());
  fmt::print("| path | in flight | p50 | calls/s | errors |\n|---|---|---|---|---|\n");
  for (int in_flight : {1, 32}) {
    for (auto [label, test] :
         {std::pair{"host GetState", "get"}, std::pair{"host SaveState", "set"}}) {
      Figures figures = std::string(test) == "get" ? Measure(in_flight, duration, get)
                                                   : Measure(in_flight, duration, save);
      fmt::print("| {} | {} | {:.0f} µs | {:.0f} | {} |\n", label, in_flight, figures.p50_us,
                 figures.calls_per_second, figures.errors);
      Figures floor = RedisBenchmark(dir, redis.port(), test, in_flight);
      fmt::print("| redis-benchmark {} (floor) | {} | {:.0f} µs | {:.0f} | |\n",
                 std::string(test) == "get" ? "GET" : "SET", in_flight, floor.p50_us,
                 floor.calls_per_second);
      std::fflush(stdout);
    }
  }
  PubSubEndToEnd(dir, redis, 1);
  PubSubEndToEnd(dir, redis, 3);
  fmt::print("plughost-redis idle RSS (6 sockets, no instance yet): {} KiB\n", idle_rss);
  fmt::print("plughost-redis RSS after the runs (one state instance, pool of 32): {} KiB\n",
             RssKb(component->pid()));
  return 0;
}

}  // namespace
}  // namespace plughost::testing

int main(int argc, char** argv) { return plughost::testing::Main(argc, argv); }
