#include "host/builtins/in_memory_sequencer.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace plughost {
namespace {

using Increment = sequencerpb::GetNextIdRequest::Increment;

grpc::Status NextIdStatus(InMemorySequencer& sequencer, const std::string& key, Increment increment,
                          int64_t* id) {
  sequencerpb::GetNextIdRequest request;
  request.set_key(key);
  request.set_increment(increment);
  int calls = 0;
  grpc::Status result;
  sequencer.GetNextId(request, CallOptions{},
                      [&](grpc::Status status, sequencerpb::GetNextIdResponse response) {
                        ++calls;
                        result = status;
                        *id = response.next_id();
                      });
  REQUIRE(calls == 1);
  return result;
}

int64_t NextId(InMemorySequencer& sequencer, const std::string& key,
               Increment increment = sequencerpb::GetNextIdRequest::STRONG) {
  int64_t id = 0;
  REQUIRE(NextIdStatus(sequencer, key, increment, &id).ok());
  return id;
}

}  // namespace

TEST_CASE("in-memory sequencer: ids per key start at 1 and go up by one") {
  InMemorySequencer sequencer;
  CHECK(NextId(sequencer, "orders") == 1);
  CHECK(NextId(sequencer, "orders") == 2);
  CHECK(NextId(sequencer, "users") == 1);  // keys are independent
  CHECK(NextId(sequencer, "orders", sequencerpb::GetNextIdRequest::WEAK) == 3);
  CHECK(NextId(sequencer, "orders") == 4);
  CHECK(NextId(sequencer, "users", sequencerpb::GetNextIdRequest::WEAK) == 2);
}

TEST_CASE("in-memory sequencer: re-Init never hands an id out twice") {
  InMemorySequencer sequencer;
  REQUIRE(NextId(sequencer, "k") == 1);
  bool initialised = false;
  sequencer.Init(InitSpec{"seq", "sequencer.in-memory", {}},
                 [&](grpc::Status status) { initialised = status.ok(); });
  REQUIRE(initialised);
  CHECK(NextId(sequencer, "k") == 2);
}

TEST_CASE("in-memory sequencer: an empty key is refused") {
  InMemorySequencer sequencer;
  int64_t id = -1;
  CHECK(NextIdStatus(sequencer, "", sequencerpb::GetNextIdRequest::WEAK, &id).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("in-memory sequencer: concurrent STRONG callers get exactly 1..N, each in order") {
  InMemorySequencer sequencer;
  constexpr int kThreads = 8;
  constexpr int kCalls = 1000;
  std::vector<std::vector<int64_t>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        sequencerpb::GetNextIdRequest request;
        request.set_key("shared");
        request.set_increment(t % 2 ? sequencerpb::GetNextIdRequest::STRONG
                                    : sequencerpb::GetNextIdRequest::WEAK);
        sequencer.GetNextId(request, CallOptions{},
                            [&](grpc::Status status, sequencerpb::GetNextIdResponse response) {
                              seen[t].push_back(status.ok() ? response.next_id() : -1);
                            });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::vector<int64_t> all;
  for (const auto& ids : seen) {
    REQUIRE(ids.size() == kCalls);
    CHECK(std::is_sorted(ids.begin(), ids.end()));
    CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());  // strictly increasing
    all.insert(all.end(), ids.begin(), ids.end());
  }
  std::sort(all.begin(), all.end());
  std::vector<int64_t> expected(kThreads * kCalls);
  for (size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<int64_t>(i) + 1;
  CHECK(all == expected);
}

}  // namespace plughost
