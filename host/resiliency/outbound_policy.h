// One component's outbound Resiliency policy, run around each call the host makes to it for
// the app, as daprd runs a component's outbound policy around every API call to it: each
// attempt bounded by the policy's timeout, a failed attempt retried after the retry policy's
// wait, every attempt counted by the component's circuit breaker, which, open, fails calls at
// once and ends their retries.
//
// The wait between attempts is a grpc::Alarm: no thread sleeps and no reaction blocks. The
// caller's callback runs exactly once, with no lock held, on whichever thread finished the
// last attempt (a gRPC thread, or the caller's own for an in-process component).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <grpcpp/alarm.h>
#include <grpcpp/server_context.h>

#include "absl/functional/any_invocable.h"
#include "host/common/callback.h"
#include "host/components/component.h"
#include "host/config/host_config.h"
#include "host/pubsub/circuit_breaker.h"
#include "host/resiliency/retry_delay.h"

namespace plughost {

// Whether a failed attempt must not be retried whatever the policy (an ETag conflict, an
// operation the component does not have). The breaker still counts it.
using PermanentFailure = bool (*)(const grpc::Status& status);

// UNIMPLEMENTED: retrying cannot make the component grow the operation.
bool IsUnimplemented(const grpc::Status& status);

class OutboundPolicy {
 public:
  // `component` names the instance in logs and errors. A breaker whose trip is outside the
  // supported subset is left out, logged (config validation reports it first).
  OutboundPolicy(std::string component, DeliveryPolicySpec spec);

  const std::string& component() const { return component_; }
  const DeliveryPolicySpec& spec() const { return spec_; }
  // Calls that need no retry state: only a timeout.
  bool bounds_only() const { return !spec_.retry && !breaker_; }

  // The caller's options for one attempt: its fallback deadline no longer than the policy's
  // timeout (the app's own deadline still bounds it, in the component channel).
  CallOptions AttemptOptions(const CallOptions& options) const;

  // The breaker's permission for one attempt: nullopt when it refuses (open, or half-open and
  // full); a token of 0 when there is no breaker.
  std::optional<uint64_t> Allow() const;
  // An attempt's outcome, for the breaker; a state change is logged.
  void Record(uint64_t token, bool success) const;
  grpc::Status RefusedStatus() const;

 private:
  std::string component_;
  DeliveryPolicySpec spec_;
  std::shared_ptr<CircuitBreaker> breaker_;
};

namespace outbound_internal {

void LogOutboundRetry(const std::string& component, const char* operation,
                      const grpc::Status& status, std::chrono::milliseconds delay);

// One call under the policy: its attempts, one at a time, and the wait between them.
template <typename Response>
class PolicyRun {
 public:
  using Attempt = absl::AnyInvocable<void(const CallOptions&, Callback<Response>)>;

  PolicyRun(std::shared_ptr<const OutboundPolicy> policy, const CallOptions& options,
            const char* operation, Attempt attempt, Callback<Response> done,
            PermanentFailure permanent)
      : policy_(std::move(policy)),
        options_(policy_->AttemptOptions(options)),
        operation_(operation),
        attempt_(std::move(attempt)),
        done_(std::move(done)),
        permanent_(permanent) {}

  static void Start(std::shared_ptr<PolicyRun> run) { Next(std::move(run)); }

 private:
  static void Next(std::shared_ptr<PolicyRun> run) {
    std::optional<uint64_t> token = run->policy_->Allow();
    if (!token) {
      // daprd makes a breaker's refusal permanent: no retry while it is open.
      Finish(run, run->policy_->RefusedStatus(), Response{});
      return;
    }
    // `run` is copied, not moved: it must outlive the attempt's call even when the component
    // answers inline, since the component may still read the options after calling back.
    PolicyRun* self = run.get();
    self->attempt_(self->options_,
                   [run, token = *token](grpc::Status status, Response response) mutable {
                     run->policy_->Record(token, status.ok());
                     if (status.ok() || run->permanent_(status) || IsUnimplemented(status)) {
                       Finish(run, std::move(status), std::move(response));
                       return;
                     }
                     auto delay = run->retries_.Next(run->policy_->spec());
                     if (!delay || !run->AppWaits(*delay)) {
                       Finish(run, std::move(status), std::move(response));
                       return;
                     }
                     LogOutboundRetry(run->policy_->component(), run->operation_, status, *delay);
                     run->last_status_ = std::move(status);
                     Wait(std::move(run), *delay);
                   });
  }

  static void Wait(std::shared_ptr<PolicyRun> run, std::chrono::milliseconds delay) {
    PolicyRun* self = run.get();
    self->timer_ = std::make_unique<grpc::Alarm>();
    self->timer_->Set(std::chrono::system_clock::now() + delay,
                      [run = std::move(run)](bool fired) mutable {
                        // Dropped here (safe: gRPC counts the alarm's references), so that the
                        // run and its alarm do not keep each other alive.
                        auto expired = std::move(run->timer_);
                        if (fired) {
                          Next(std::move(run));
                        } else {  // gRPC is shutting down
                          Finish(run, std::move(run->last_status_), Response{});
                        }
                      });
  }

  // Whether the app still waits for the call once `delay` has passed (no app: yes).
  bool AppWaits(std::chrono::milliseconds delay) const {
    if (options_.app_call == nullptr) return true;
    if (options_.app_call->IsCancelled()) return false;
    return std::chrono::system_clock::now() + delay < options_.app_call->deadline();
  }

  static void Finish(const std::shared_ptr<PolicyRun>& run, grpc::Status status,
                     Response response) {
    auto done = std::move(run->done_);
    done(std::move(status), std::move(response));
  }

  const std::shared_ptr<const OutboundPolicy> policy_;
  const CallOptions options_;
  const char* const operation_;
  Attempt attempt_;
  Callback<Response> done_;
  const PermanentFailure permanent_;
  RetryState retries_;
  grpc::Status last_status_;
  std::unique_ptr<grpc::Alarm> timer_;
};

struct NoResponse {};

}  // namespace outbound_internal

// Runs `attempt` under `policy` until it succeeds, fails permanently, the policy gives up or the
// app stops waiting; `done` gets the last attempt's outcome. `operation` names the call in logs.
template <typename Response>
void RunUnderPolicy(std::shared_ptr<const OutboundPolicy> policy, const CallOptions& options,
                    const char* operation,
                    absl::AnyInvocable<void(const CallOptions&, Callback<Response>)> attempt,
                    Callback<Response> done, PermanentFailure permanent) {
  if (policy->bounds_only()) {
    attempt(policy->AttemptOptions(options), std::move(done));
    return;
  }
  outbound_internal::PolicyRun<Response>::Start(
      std::make_shared<outbound_internal::PolicyRun<Response>>(
          std::move(policy), options, operation, std::move(attempt), std::move(done), permanent));
}

// The same for a call that answers with a status alone.
inline void RunUnderPolicy(std::shared_ptr<const OutboundPolicy> policy, const CallOptions& options,
                           const char* operation,
                           absl::AnyInvocable<void(const CallOptions&, StatusCallback)> attempt,
                           StatusCallback done, PermanentFailure permanent) {
  using outbound_internal::NoResponse;
  RunUnderPolicy<NoResponse>(
      std::move(policy), options, operation,
      [attempt = std::move(attempt)](const CallOptions& attempt_options,
                                     Callback<NoResponse> attempt_done) mutable {
        attempt(attempt_options,
                [attempt_done = std::move(attempt_done)](grpc::Status status) mutable {
                  attempt_done(std::move(status), NoResponse{});
                });
      },
      [done = std::move(done)](grpc::Status status, NoResponse) mutable {
        done(std::move(status));
      },
      permanent);
}

}  // namespace plughost
