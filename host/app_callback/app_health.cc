#include "host/app_callback/app_health.h"

#include <google/protobuf/empty.pb.h>

#include <atomic>
#include <utility>

#include "absl/time/time.h"
#include "host/app_callback/app_channel.h"
#include "host/common/log.h"

namespace plughost {

AppHealthProbe GrpcAppHealthProbe(std::shared_ptr<AppChannel> channel) {
  // An app without the service never turns healthy (as in daprd); said once, not per probe.
  auto told_unimplemented = std::make_shared<std::atomic<bool>>(false);
  return [channel = std::move(channel), told_unimplemented](std::chrono::milliseconds timeout,
                                                            std::function<void(bool)> done) {
    struct Call {
      grpc::ClientContext context;  // no app token: daprd's probe sends none
      google::protobuf::Empty request;
      dapr::proto::runtime::v1::HealthCheckResponse response;
    };
    auto call = std::make_shared<Call>();
    call->context.set_deadline(std::chrono::system_clock::now() + timeout);
    channel->health_stub().async()->HealthCheck(
        &call->context, &call->request, &call->response,
        [call, told_unimplemented, done = std::move(done)](const grpc::Status& status) {
          if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED &&
              !told_unimplemented->exchange(true)) {
            PH_LOG_WARN("app",
                        "the app does not implement AppCallbackHealthCheck/HealthCheck: with "
                        "--enable-app-health-check it stays unhealthy and gets no events");
          }
          done(status.ok());
        });
  };
}

AppHealthMonitor::AppHealthMonitor(AppHealthOptions options, AppHealthProbe probe,
                                   std::function<void(bool healthy)> on_change)
    : options_(options), probe_(std::move(probe)), on_change_(std::move(on_change)) {}

AppHealthMonitor::~AppHealthMonitor() { Stop(); }

void AppHealthMonitor::Start() {
  PH_LOG_INFO("app",
              "app health probes starting (every {} ms, timeout {} ms, unhealthy after {} "
              "failures)",
              options_.interval.count(), options_.timeout.count(), options_.threshold);
  thread_ = std::thread([this] { Run(); });
}

void AppHealthMonitor::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool AppHealthMonitor::ProbeOnce() {
  struct Answer {
    absl::Mutex mutex;
    bool done ABSL_GUARDED_BY(mutex) = false;
    bool healthy ABSL_GUARDED_BY(mutex) = false;
  };
  auto answer = std::make_shared<Answer>();
  probe_(options_.timeout, [answer](bool healthy) {
    absl::MutexLock lock(&answer->mutex);
    answer->done = true;
    answer->healthy = healthy;
  });
  absl::MutexLock lock(&answer->mutex);
  // The probe is bounded by the timeout; the margin covers a late callback.
  answer->mutex.AwaitWithTimeout(absl::Condition(&answer->done),
                                 absl::FromChrono(options_.timeout + std::chrono::seconds(1)));
  return answer->done && answer->healthy;
}

void AppHealthMonitor::Run() {
  bool healthy = false;               // as daprd: unhealthy until a probe succeeds
  int failures = options_.threshold;  // failed probes in a row, counted up to the threshold
  while (true) {
    bool ok = ProbeOnce();
    bool changed = false;
    if (ok) {
      failures = 0;
      changed = !healthy;
      healthy = true;
    } else {
      if (failures < options_.threshold) ++failures;
      changed = healthy && failures >= options_.threshold;
      if (changed) healthy = false;
    }
    {
      absl::MutexLock lock(&mutex_);
      if (stopping_) return;
    }
    if (changed) {
      if (healthy) {
        PH_LOG_INFO("app", "app entered healthy status");
      } else {
        PH_LOG_WARN("app", "app entered unhealthy status: the health probe failed {} times",
                    failures);
      }
      on_change_(healthy);
    }
    absl::MutexLock lock(&mutex_);
    if (mutex_.AwaitWithTimeout(absl::Condition(&stopping_), absl::FromChrono(options_.interval))) {
      return;
    }
  }
}

}  // namespace plughost
