// Conformance cases for sequencers (plughost.components.v1.Sequencer).
#include <future>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "host/components/sequencer.h"
#include "host/conformance/await.h"
#include "host/conformance/suite.h"

namespace plughost::conformance {
namespace {

constexpr int kConcurrentCallers = 8;

class SequencerCases {
 public:
  SequencerCases(Suite& suite, Sequencer& sequencer) : suite_(suite), sequencer_(sequencer) {}

  void RunAll() {
    suite_.Run("increasing", [&] { return Increasing(); });
    suite_.Run("concurrent-distinct", [&] { return ConcurrentDistinct(); });
  }

 private:
  // Starts a GetNextId; the future holds its reply.
  std::future<Reply<sequencerpb::GetNextIdResponse>> Start(const std::string& key) {
    auto promise = std::make_shared<std::promise<Reply<sequencerpb::GetNextIdResponse>>>();
    auto future = promise->get_future();
    sequencerpb::GetNextIdRequest request;
    request.set_key(key);
    sequencer_.GetNextId(std::move(request), KitCallOptions(),
                         [promise](grpc::Status status, sequencerpb::GetNextIdResponse response) {
                           promise->set_value({std::move(status), std::move(response)});
                         });
    return future;
  }

  // Waits for a started call, at most its deadline plus the grace.
  static Reply<sequencerpb::GetNextIdResponse> Wait(
      std::future<Reply<sequencerpb::GetNextIdResponse>>& future) {
    auto wait = kCallTimeout + kWaitGrace;
    if (future.wait_for(wait) != std::future_status::ready) return {NoAnswer(wait), {}};
    return future.get();
  }

  // The next id of `key`; fills `*error` on failure.
  int64_t Next(const std::string& key, std::string* error) {
    auto future = Start(key);
    auto reply = Wait(future);
    if (!reply.status.ok()) {
      *error = "GetNextId should answer OK, got " + Describe(reply.status);
      return 0;
    }
    return reply.value.next_id();
  }

  CaseResult Increasing() {
    std::string key = suite_.UniqueName("increasing");
    std::string error;
    int64_t last = Next(key, &error);
    if (!error.empty()) return Fail(error);
    for (int i = 0; i < 5; ++i) {
      int64_t id = Next(key, &error);
      if (!error.empty()) return Fail(error);
      if (id <= last) {
        return Fail(
            fmt::format("GetNextId answered {} after {} for the same key (ids must be "
                        "strictly increasing per key)",
                        id, last));
      }
      last = id;
    }
    return Pass();
  }

  CaseResult ConcurrentDistinct() {
    std::string key = suite_.UniqueName("concurrent");
    std::string error;
    int64_t before = Next(key, &error);
    if (!error.empty()) return Fail(error);
    std::vector<std::future<Reply<sequencerpb::GetNextIdResponse>>> calls;
    calls.reserve(kConcurrentCallers);
    for (int i = 0; i < kConcurrentCallers; ++i) calls.push_back(Start(key));
    std::set<int64_t> ids;
    for (auto& call : calls) {
      auto reply = Wait(call);
      if (!reply.status.ok()) {
        return Fail("a concurrent GetNextId should answer OK, got " + Describe(reply.status));
      }
      if (!ids.insert(reply.value.next_id()).second) {
        return Fail(fmt::format("{} concurrent callers of one key got id {} twice",
                                kConcurrentCallers, reply.value.next_id()));
      }
    }
    if (*ids.begin() <= before) {
      return Fail(fmt::format("a concurrent caller got id {}, not above the earlier {}",
                              *ids.begin(), before));
    }
    int64_t after = Next(key, &error);
    if (!error.empty()) return Fail(error);
    if (after <= *ids.rbegin()) {
      return Fail(fmt::format("after the concurrent calls (largest id {}), GetNextId answered {}",
                              *ids.rbegin(), after));
    }
    return Pass();
  }

  Suite& suite_;
  Sequencer& sequencer_;
};

}  // namespace

void RunSequencerSuite(const SuiteContext& context) {
  Suite suite(context, "sequencer");
  auto sequencer = suite.InitCase<Sequencer>("init", "a");
  if (!sequencer) return;
  suite.FeaturesCase();
  SequencerCases(suite, *sequencer).RunAll();
  suite.PingCase(*sequencer);
}

}  // namespace plughost::conformance
