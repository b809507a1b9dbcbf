#include "host/lifecycle/component_supervisor.h"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <map>
#include <mutex>
#include <set>

#include "common/backoff.h"
#include "host/common/log.h"
#include "host/discovery/socket_folder.h"
#include "host/lifecycle/socket_liveness.h"

namespace plughost {
namespace {

bool IsSocket(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

std::string FileName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

class ComponentSupervisor::Impl : public std::enable_shared_from_this<ComponentSupervisor::Impl> {
 public:
  Impl(SupervisorOptions options, InstanceTable* instances, SocketFactoryMaker make_factories)
      : options_(std::move(options)),
        instances_(instances),
        make_factories_(std::move(make_factories)),
        watch_(io_),
        health_timer_(io_) {}

  bool Start() {
    // Who serves each socket now: a later server of the same path must be the same uid.
    for (const auto& instance : instances_->All()) {
      if (!instance->socket_path.empty()) PeerTrusted(instance->socket_path);
    }
    bool watching = StartWatch();
    ScheduleHealthCheck();
    thread_ = std::thread([self = shared_from_this()] { self->io_.run(); });
    return watching;
  }

  // Every pending handler holds a reference to this object, so it is only destroyed once they
  // have all run: cancel what waits (timers, the inotify read), refuse new posts from gRPC's
  // callbacks, and let the io_context run out of work rather than stopping it with handlers
  // still queued.
  void Stop() {
    {
      std::lock_guard lock(post_mutex_);
      if (stopping_.exchange(true)) return;
    }
    if (thread_.joinable()) {
      boost::asio::post(io_, [this] { CancelWaits(); });
      thread_.join();
    } else {
      CancelWaits();  // never started: nothing runs concurrently
      io_.restart();
      io_.run();
    }
  }

  void RescanAfterStartup(std::set<std::string> known) {
    PostFromOutside([self = shared_from_this(), known = std::move(known)] {
      if (!self->stopping_) self->Rescan(known, "appeared during startup discovery");
    });
  }

  void ProbeInBackground(const std::vector<std::string>& paths) {
    PostFromOutside([self = shared_from_this(), paths] {
      for (const auto& path : paths) {
        if (self->stopping_ || self->probing_.count(path)) continue;
        // The last attempt: startup already gave it one chance, so a hung socket costs one more
        // deadline and one log line, not a series of retries.
        self->SocketAppeared(path, kMaxProbeAttempts - 1);
      }
    });
  }

  SupervisorCounters counters;

 private:
  // The file appears at bind(), before the component listens or serves: a refused or
  // unanswered first probe of a new socket is retried a few times.
  static constexpr int kMaxProbeAttempts = 6;

  struct Attempt {
    explicit Attempt(std::chrono::milliseconds max)
        : backoff(Backoff::Options{.initial = std::chrono::milliseconds(100), .max = max}) {}
    Backoff backoff;
    std::chrono::steady_clock::time_point next;
    bool in_progress = false;
  };

  // Health checks of one instance.
  struct PingWatch {
    bool in_flight = false;  // a slow Ping is waited for, not stacked up
    int failed_in_a_row = 0;
  };

  // The waits between probes of a new socket: 50 ms, then longer, restarting per appearance.
  Backoff& ProbeBackoff(const std::string& path, int attempt) {
    auto [it, added] = probe_backoffs_.try_emplace(
        path, Backoff::Options{.initial = std::chrono::milliseconds(50), .multiplier = 2.0});
    if (attempt == 0 && !added) it->second.Reset();
    return it->second;
  }

  Attempt& AttemptFor(const InstanceInfo* instance) {
    return attempts_.try_emplace(instance, options_.max_backoff).first->second;
  }

  // Runs `handler` on the supervisor's thread, unless Stop() has begun (then it is dropped here,
  // with whatever it holds, instead of waiting forever in a queue nobody runs).
  template <typename Handler>
  void PostFromOutside(Handler handler) {
    std::lock_guard lock(post_mutex_);
    if (stopping_) return;
    boost::asio::post(io_, std::move(handler));
  }

  void CancelWaits() {
    boost::system::error_code ignored;
    health_timer_.cancel();
    watch_.close(ignored);
    for (auto* timer : retry_timers_) timer->cancel();
  }

  // The inotify descriptor lives as long as the supervisor; the watch on the folder inside it
  // is armed again whenever the folder comes back (deleted and re-created, or created late).
  bool StartWatch() {
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
      PH_LOG_WARN("lifecycle", "cannot watch {}: inotify unavailable", options_.sockets_dir);
      return false;
    }
    watch_.assign(fd);
    ReadEvents();
    return ArmWatch(/*log_failure=*/true);
  }

  bool ArmWatch(bool log_failure) {
    int wd = ::inotify_add_watch(watch_.native_handle(), options_.sockets_dir.c_str(),
                                 IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM |
                                     IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
    if (wd < 0) {
      if (log_failure) {
        PH_LOG_WARN("lifecycle", "cannot watch socket folder {} ({}); watching for it to appear",
                    options_.sockets_dir, std::strerror(errno));
      }
      return false;
    }
    watch_descriptor_ = wd;
    return true;
  }

  // The folder itself went away (or was renamed): nothing inside it can be reached by its
  // old path any more.
  void FolderLost() {
    if (watch_descriptor_ < 0) return;
    ::inotify_rm_watch(watch_.native_handle(), watch_descriptor_);  // fails once IN_IGNORED came
    watch_descriptor_ = -1;
    PH_LOG_WARN("lifecycle",
                "socket folder {} was removed or moved; hot-plug resumes when it "
                "is back",
                options_.sockets_dir);
    for (const auto& instance : instances_->All()) {
      if (!instance->socket_path.empty() && !IsSocket(instance->socket_path)) {
        SocketRemoved(instance->socket_path);
      }
    }
  }

  // Probes every socket in the folder that is not serving yet, except `known` (what startup
  // discovery already saw): sockets that appeared while nothing watched.
  void Rescan(const std::set<std::string>& known, const char* why) {
    for (const auto& path : ListSocketFolder(options_.sockets_dir).sockets) {
      if (known.count(path) || probing_.count(path)) continue;
      auto existing = instances_->ForSocket(path);
      bool serving = !existing.empty();
      for (const auto& instance : existing) serving = serving && instance->health->ready();
      if (serving) continue;
      PH_LOG_INFO("lifecycle", "{} {}: probing it", path, why);
      SocketAppeared(path);
    }
  }

  void ReadEvents() {
    watch_.async_read_some(
        boost::asio::buffer(buffer_),
        [self = shared_from_this()](const boost::system::error_code& error, size_t bytes) {
          if (error || self->stopping_) return;
          self->HandleEvents(bytes);
          self->ReadEvents();
        });
  }

  void HandleEvents(size_t bytes) {
    size_t offset = 0;
    while (offset + sizeof(inotify_event) <= bytes) {
      auto* event = reinterpret_cast<const inotify_event*>(buffer_.data() + offset);
      offset += sizeof(inotify_event) + event->len;
      if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
        if (event->wd == watch_descriptor_) FolderLost();
        continue;
      }
      if (event->len == 0 || IsHiddenEntry(event->name)) continue;
      std::string path = options_.sockets_dir + "/" + event->name;
      if (event->mask & (IN_DELETE | IN_MOVED_FROM)) {
        SocketRemoved(path);
      } else if (IsSocket(path)) {
        SocketAppeared(path);
      }
    }
  }

  void SocketRemoved(const std::string& path) {
    auto affected = instances_->ForSocket(path);
    if (affected.empty()) return;
    counters.sockets_removed++;
    for (const auto& instance : affected) {
      if (instance->health->MarkUnavailable("its socket " + path + " was removed")) {
        PH_LOG_WARN("lifecycle", "{} '{}' unavailable: socket {} removed",
                    KindDisplayName(instance->kind), instance->name, path);
      }
      // Only the configuration makes an instance required: one that exists because its
      // socket did is unplugged with it, and /readyz stops waiting for it.
      if (!instance->configured && !instance->health->unplugged()) {
        instance->health->SetUnplugged(true);
        PH_LOG_INFO("lifecycle",
                    "{} '{}' unplugged: not named by the configuration, so /readyz "
                    "no longer requires it until {} comes back",
                    KindDisplayName(instance->kind), instance->name, path);
      }
    }
  }

  // A socket was created (or re-created by a restarted component): ask what it serves, then
  // restore its instances or create automatic ones.
  void SocketAppeared(const std::string& path, int attempt = 0) {
    if (attempt == 0 && probing_.count(path)) return;
    probing_.insert(path);
    // Instances of a restarting component must not take calls before their new Init.
    for (const auto& instance : instances_->ForSocket(path)) {
      instance->health->SetUnplugged(false);
      if (instance->health->MarkUnavailable("its component restarted; initialising again")) {
        PH_LOG_INFO("lifecycle", "{} '{}': socket {} re-created; initialising again",
                    KindDisplayName(instance->kind), instance->name, path);
      }
    }
    ProbeSocket(
        path, options_.probe_timeout,
        [self = shared_from_this(), path, attempt](const grpc::Status& status,
                                                   std::vector<std::string> services) {
          self->PostFromOutside([self, path, attempt, status, services = std::move(services)] {
            if (self->stopping_) return;
            if (!status.ok() && attempt + 1 < kMaxProbeAttempts && IsSocket(path)) {
              auto timer = std::make_shared<boost::asio::steady_timer>(self->io_);
              timer->expires_after(self->ProbeBackoff(path, attempt).NextDelay());
              self->retry_timers_.insert(timer.get());
              timer->async_wait([self, path, attempt, timer](const boost::system::error_code& e) {
                self->retry_timers_.erase(timer.get());
                if (!e && !self->stopping_) self->SocketAppeared(path, attempt + 1);
              });
              return;
            }
            self->probing_.erase(path);
            if (!status.ok()) {
              PH_LOG_WARN("lifecycle", "skipping {}: {}", path, status.error_message());
              return;
            }
            self->Probed(path, services);
          });
        });
  }

  void Probed(const std::string& path, const std::vector<std::string>& services) {
    auto existing = instances_->ForSocket(path);
    if (!existing.empty()) {
      for (const auto& instance : existing) Reinitialize(instance);
      return;
    }
    if (!PeerTrusted(path)) return;
    DiscoveredSocket socket{path, ComponentNameFromSocketFile(FileName(path)), services, {}};
    for (const auto& service : services) {
      if (auto kind = KindForService(service)) socket.kinds.push_back(*kind);
    }
    if (socket.kinds.empty()) {
      PH_LOG_WARN("lifecycle", "skipping {}: serves no known component service", path);
      return;
    }
    counters.sockets_added++;
    for (auto& factory : make_factories_(socket)) {
      CreateAutomaticInstance(*factory, socket);
    }
  }

  void CreateAutomaticInstance(const ComponentFactory& factory, const DiscoveredSocket& socket) {
    auto info = std::make_shared<InstanceInfo>();
    info->name = socket.name;
    info->type = factory.type();
    info->version = "v1";
    info->kind = factory.kind();
    info->source = factory.source();
    info->component = factory.Create(socket.name);
    info->init_spec = InitSpec{socket.name, factory.type(), {}, options_.init_timeout};
    info->socket_path = socket.path;
    if (options_.prepare_instance) options_.prepare_instance(*info);
    auto component = info->component;
    component->Init(info->init_spec, [self = shared_from_this(), info](const grpc::Status& status) {
      self->PostFromOutside([self, info, status] {
        if (!status.ok()) {
          PH_LOG_WARN("lifecycle", "new {} '{}' from {}: Init failed: {}",
                      KindDisplayName(info->kind), info->name, info->source,
                      status.error_message());
          return;
        }
        // Add() takes the info: keep what the log line and the hook need.
        ComponentKind kind = info->kind;
        std::string name = info->name;
        std::string source = info->source;
        if (auto added = self->instances_->Add(std::move(*info)); !added.ok()) {
          PH_LOG_ERROR("lifecycle", "new socket not registered: {}", added.message());
          return;
        }
        // Nothing configured it, so its Init carried no metadata: say how to give it some.
        PH_LOG_INFO("lifecycle",
                    "{} '{}' ready (hot-plugged from {}); no configuration entry, "
                    "so it was initialised without metadata: name its type in the config (or a "
                    "resource file) to give it some",
                    KindDisplayName(kind), name, source);
        if (self->options_.instance_added) self->options_.instance_added(kind, name);
      });
    });
  }

  void Reinitialize(const InstancePtr& instance) {
    auto& attempt = AttemptFor(instance.get());
    if (attempt.in_progress) return;
    if (!PeerTrusted(instance->socket_path)) {
      instance->health->MarkUnavailable("its socket is served by another user; no Init sent");
      attempt.next = std::chrono::steady_clock::now() + attempt.backoff.NextDelay();
      return;
    }
    attempt.in_progress = true;
    instance->health->MarkReinitializing();
    instance->component->Init(
        instance->init_spec, [self = shared_from_this(), instance](const grpc::Status& status) {
          self->PostFromOutside([self, instance, status] {
            auto& attempt = self->AttemptFor(instance.get());
            attempt.in_progress = false;
            if (status.ok()) {
              attempt.backoff.Reset();
              self->pings_[instance.get()] = PingWatch{};
              instance->health->ClearFailingHealthChecks();
              // Counted before the instance shows ready, so whoever sees it ready sees the count.
              instance->health->recoveries++;
              self->counters.recoveries++;
              instance->health->MarkReady();
              PH_LOG_INFO("lifecycle", "{} '{}' recovered: initialised again and serving",
                          KindDisplayName(instance->kind), instance->name);
              return;
            }
            auto backoff = attempt.backoff.NextDelay();
            attempt.next = std::chrono::steady_clock::now() + backoff;
            self->counters.failed_reinits++;
            instance->health->MarkUnavailable("Init failed: " + status.error_message());
            PH_LOG_WARN("lifecycle", "{} '{}': Init failed ({}); retrying in {} ms",
                        KindDisplayName(instance->kind), instance->name, status.error_message(),
                        backoff.count());
          });
        });
  }

  void ScheduleHealthCheck() {
    health_timer_.expires_after(options_.ping_interval);
    health_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (error || self->stopping_) return;
      self->CheckHealth();
      self->ScheduleHealthCheck();
    });
  }

  void CheckHealth() {
    auto now = std::chrono::steady_clock::now();
    if (watch_descriptor_ < 0 && watch_.is_open() && ArmWatch(/*log_failure=*/false)) {
      PH_LOG_INFO("lifecycle", "socket folder {} is back; watching it again", options_.sockets_dir);
      Rescan({}, "appeared while the folder was not watched");
    }
    for (const auto& instance : instances_->All()) {
      if (instance->socket_path.empty()) continue;  // built-ins live in this process
      switch (instance->health->state()) {
        case InstanceHealth::State::kReady: {
          auto& watch = pings_[instance.get()];
          if (watch.in_flight) break;
          watch.in_flight = true;
          instance->component->PingWithin(
              options_.ping_timeout, [self = shared_from_this(), instance](grpc::Status status) {
                self->PostFromOutside([self, instance, status = std::move(status)] {
                  self->PingAnswered(instance, status);
                });
              });
          break;
        }
        case InstanceHealth::State::kUnavailable: {
          auto& attempt = AttemptFor(instance.get());
          if (!attempt.in_progress && now >= attempt.next &&
              !probing_.count(instance->socket_path) &&
              CheckSocket(instance->socket_path).liveness == SocketLiveness::kListening) {
            Reinitialize(instance);
          }
          break;
        }
        case InstanceHealth::State::kReinitializing:
          break;
      }
    }
  }

  // SO_PEERCRED of whoever listens on `path` against the uid expected there: the configured
  // one, else the first one seen (or, if nobody listened then, the socket file's owner). A
  // process of another user that bound a dead component's path would otherwise be sent that
  // instance's metadata, secrets included. True when nobody listens (no Init can happen).
  bool PeerTrusted(const std::string& path) {
    SocketCheck check = CheckSocket(path);
    std::optional<uid_t> expected = options_.expected_peer_uid;
    auto known = socket_uids_.find(path);
    if (!expected && known != socket_uids_.end()) expected = known->second;
    std::optional<uid_t> actual = check.peer_uid;
    if (!actual) {
      struct stat st {};
      if (::lstat(path.c_str(), &st) == 0) actual = st.st_uid;
    }
    if (!expected) {
      if (actual) socket_uids_[path] = *actual;
      return true;
    }
    // A listener whose backlog is full tells no credentials: its socket file's owner stands in.
    if (!actual || *actual == *expected) {
      refused_.erase(path);
      return true;
    }
    if (refused_.insert(path).second) {
      PH_LOG_ERROR("lifecycle",
                   "refusing {}: served by uid {}, expected uid {} (the uid that "
                   "served it before); no Init or metadata sent",
                   path, *actual, *expected);
    }
    return false;
  }

  // On the supervisor's thread. Only a lost connection makes an instance unavailable (and so,
  // later, re-initialised); a component that still listens but fails its Pings keeps serving.
  void PingAnswered(const InstancePtr& instance, const grpc::Status& status) {
    auto& watch = pings_[instance.get()];
    watch.in_flight = false;
    if (stopping_ || instance->health->state() != InstanceHealth::State::kReady) return;
    if (status.ok() || status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      watch.failed_in_a_row = 0;
      if (instance->health->ClearFailingHealthChecks()) {
        PH_LOG_INFO("lifecycle", "{} '{}' passes its health checks again",
                    KindDisplayName(instance->kind), instance->name);
      }
      return;
    }
    counters.failed_pings++;
    SocketCheck socket = CheckSocket(instance->socket_path);
    if (socket.liveness != SocketLiveness::kListening) {
      watch.failed_in_a_row = 0;
      instance->health->ClearFailingHealthChecks();
      if (instance->health->MarkUnavailable("connection lost: " + socket.detail)) {
        PH_LOG_WARN("lifecycle", "{} '{}' unavailable: connection lost ({}; Ping: {})",
                    KindDisplayName(instance->kind), instance->name, socket.detail,
                    status.error_message());
      }
      return;
    }
    if (++watch.failed_in_a_row < options_.ping_failure_threshold) return;
    if (instance->health->MarkFailingHealthChecks(fmt::format(
            "{} health checks in a row failed (last: {}); still connected, calls still served",
            watch.failed_in_a_row, status.error_message()))) {
      PH_LOG_WARN("lifecycle",
                  "{} '{}' failing its health checks ({} in a row, last: {}); "
                  "still connected, so its calls are still served",
                  KindDisplayName(instance->kind), instance->name, watch.failed_in_a_row,
                  status.error_message());
    }
  }

  SupervisorOptions options_;
  InstanceTable* instances_;
  SocketFactoryMaker make_factories_;
  boost::asio::io_context io_;
  boost::asio::posix::stream_descriptor watch_;  // the inotify descriptor
  int watch_descriptor_ = -1;  // the folder's watch inside it; -1 while the folder is missing
  boost::asio::steady_timer health_timer_;
  std::array<char, 16 * 1024> buffer_{};
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex post_mutex_;  // orders PostFromOutside against Stop
  // Touched only on the supervisor's thread.
  std::set<boost::asio::steady_timer*> retry_timers_;  // probe retries waiting, for Stop
  std::set<std::string> probing_;
  std::map<const InstanceInfo*, Attempt> attempts_;
  std::map<const InstanceInfo*, PingWatch> pings_;
  std::map<std::string, Backoff> probe_backoffs_;
  std::map<std::string, uid_t> socket_uids_;  // who served each socket first
  std::set<std::string> refused_;             // sockets refused (and logged) for their uid
};

ComponentSupervisor::ComponentSupervisor(SupervisorOptions options, InstanceTable* instances,
                                         SocketFactoryMaker make_factories)
    : impl_(std::make_shared<Impl>(std::move(options), instances, std::move(make_factories))) {}

ComponentSupervisor::~ComponentSupervisor() { Stop(); }

bool ComponentSupervisor::Start() { return impl_->Start(); }

void ComponentSupervisor::Stop() {
  if (impl_) impl_->Stop();
}

void ComponentSupervisor::RescanAfterStartup(std::set<std::string> known) {
  impl_->RescanAfterStartup(std::move(known));
}

void ComponentSupervisor::ProbeInBackground(const std::vector<std::string>& paths) {
  impl_->ProbeInBackground(paths);
}

const SupervisorCounters& ComponentSupervisor::counters() const { return impl_->counters; }

}  // namespace plughost
