#include "host/discovery/discovery.h"

#include <grpc/grpc.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <sys/un.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "common/sockets_folder.h"
#include "common/status_code_name.h"
#include "host/common/log.h"
#include "host/discovery/reflection_probe.h"
#include "host/discovery/socket_folder.h"

namespace plughost {
namespace {

constexpr std::string_view kLogScope = "discovery";

// sun_path holds 108 bytes including the terminating NUL.
constexpr size_t kMaxSocketPath = sizeof(sockaddr_un::sun_path) - 1;

// How long DiscoverComponents waits past the probe deadline before giving up on a probe
// that never reported. gRPC enforces the deadline itself; this only guards startup against
// a bug, so it is generous.
constexpr std::chrono::seconds kReportGrace{5};

std::string_view CodeName(grpc::StatusCode code) { return StatusCodeName(code); }

// Skip reasons go into single log lines; gRPC messages can span several.
std::string OneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Turns the raw outcome of a reflection call into the reason an operator reads in the log.
// gRPC reports a refused connect and a broken handshake with the same code, so the errno text
// it embeds is what tells a dead socket file from a listener that is not gRPC.
std::string DescribeProbeFailure(const grpc::Status& status, std::chrono::milliseconds timeout) {
  const std::string& message = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "no answer within " + std::to_string(timeout.count()) + " ms";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "no server reflection (UNIMPLEMENTED for v1alpha and v1)";
    case grpc::StatusCode::UNAVAILABLE:
      if (Contains(message, "Connection refused")) {
        return "connection refused (no process listening)";
      }
      if (Contains(message, "No such file or directory")) {
        return "socket file vanished before it could be probed";
      }
      if (Contains(message, "Permission denied")) {
        return "permission denied connecting to the socket";
      }
      [[fallthrough]];
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
      return OneLine("not a gRPC server (or handshake failed): " + message);
    default:
      return OneLine("reflection failed: " + std::string(StatusCodeName(status.error_code())) +
                     ": " + message);
  }
}

// The gRPC target for a socket path: absolute when it fits in sun_path (logs and channel keys
// then do not depend on the working directory), else the path as given if that fits.
std::optional<std::string> SocketTarget(const std::string& path) {
  std::error_code error;
  std::string absolute = std::filesystem::absolute(path, error).lexically_normal().string();
  if (!error && absolute.size() <= kMaxSocketPath) return "unix:" + absolute;
  if (path.size() <= kMaxSocketPath) return "unix:" + path;
  return std::nullopt;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string joined;
  for (const auto& part : parts) {
    if (!joined.empty()) joined += ", ";
    joined += part;
  }
  return joined;
}

std::string DescribeKinds(const std::vector<ComponentKind>& kinds) {
  std::string joined;
  for (ComponentKind kind : kinds) {
    if (!joined.empty()) joined += ", ";
    joined += KindDisplayName(kind);
  }
  return joined;
}

struct ProbeOutcome {
  bool reported = false;
  grpc::Status status;
  std::vector<std::string> services;
};

// Shared between the waiting thread and the probe callbacks. Held by shared_ptr so a probe that
// reports after the waiter gave up (see kReportGrace) still writes into live memory.
struct ProbeBoard {
  explicit ProbeBoard(size_t count) : pending(count), outcomes(count), channels(count) {}
  std::mutex mutex;
  std::condition_variable all_reported;
  size_t pending;
  std::vector<ProbeOutcome> outcomes;
  std::vector<std::shared_ptr<grpc::Channel>> channels;  // set before any probe can report
};

// Starts one probe per socket at once; each probe carries its own deadline, so waiting for all of
// them costs about the slowest single probe, not the sum.
std::shared_ptr<ProbeBoard> StartProbes(const std::vector<std::string>& sockets,
                                        std::chrono::milliseconds timeout) {
  auto board = std::make_shared<ProbeBoard>(sockets.size());
  for (size_t i = 0; i < sockets.size(); ++i) {
    ProbeSocket(
        sockets[i], timeout,
        [board, i](grpc::Status status, std::vector<std::string> services) {
          // Runs on a gRPC thread: record and signal only, never block beyond the lock.
          std::lock_guard<std::mutex> lock(board->mutex);
          ProbeOutcome& outcome = board->outcomes[i];
          if (outcome.reported) return;
          outcome.reported = true;
          outcome.status = std::move(status);
          outcome.services = std::move(services);
          --board->pending;
          board->all_reported.notify_all();  // WaitForAliveProbes wakes on each one
        },
        &board->channels[i]);
  }
  return board;
}

// After the settle time: waits (until `deadline`) for the probes still running whose socket
// completed the HTTP/2 handshake, i.e. gRPC servers that are merely slow (a loaded machine, a
// component still starting); probes of sockets that never spoke (hung listeners) are left.
std::vector<ProbeOutcome> WaitForAliveProbes(ProbeBoard& board,
                                             std::chrono::steady_clock::time_point deadline) {
  auto alive_pending = [&] {
    for (size_t i = 0; i < board.outcomes.size(); ++i) {
      if (board.outcomes[i].reported || !board.channels[i]) continue;
      if (board.channels[i]->GetState(/*try_to_connect=*/false) == GRPC_CHANNEL_READY) {
        return true;
      }
    }
    return false;
  };
  std::unique_lock<std::mutex> lock(board.mutex);
  while (board.pending > 0 && alive_pending() && std::chrono::steady_clock::now() < deadline) {
    // A channel turning READY signals nothing here: look again every 20 ms as well.
    board.all_reported.wait_until(
        lock, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(20)));
  }
  return board.outcomes;
}

// Waits until every probe has reported or `deadline` passes, then returns a snapshot: late
// reports may still write into the board.
std::vector<ProbeOutcome> WaitForProbes(ProbeBoard& board,
                                        std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(board.mutex);
  board.all_reported.wait_until(lock, deadline, [&] { return board.pending == 0; });
  return board.outcomes;
}

// `settled_early`: discovery stopped waiting before the probe deadline, so a probe that has not
// reported is still running rather than lost.
void Classify(const std::string& path, const ProbeOutcome& outcome, bool settled_early,
              DiscoveryResult* result) {
  if (!outcome.reported) {
    if (settled_early) {
      result->pending.push_back(path);
    } else {
      result->skipped.push_back({path, "probe did not report (internal error)"});
    }
    return;
  }
  if (!outcome.status.ok()) {
    // ProbeSocket already turned the failure into a readable reason.
    result->skipped.push_back({path, outcome.status.error_message()});
    return;
  }
  std::vector<ComponentKind> kinds;
  for (const auto& service : outcome.services) {
    std::optional<ComponentKind> kind = KindForService(service);
    if (kind && std::find(kinds.begin(), kinds.end(), *kind) == kinds.end()) {
      kinds.push_back(*kind);
    }
  }
  if (kinds.empty()) {
    result->skipped.push_back(
        {path, "serves no known component service (services: " + Join(outcome.services) + ")"});
    return;
  }
  DiscoveredSocket socket;
  socket.path = path;
  socket.name = ComponentNameFromSocketFile(std::filesystem::path(path).filename().string());
  socket.services = outcome.services;
  socket.kinds = std::move(kinds);
  result->components.push_back(std::move(socket));
}

}  // namespace

void ProbeSocket(const std::string& path, std::chrono::milliseconds timeout,
                 Callback<std::vector<std::string>> done,
                 std::shared_ptr<grpc::Channel>* channel_out) {
  const auto deadline = std::chrono::system_clock::now() + timeout;
  // Parked in a shared_ptr first so that, whatever fails below, the callback is still ours
  // to invoke exactly once.
  std::shared_ptr<Callback<std::vector<std::string>>> report;
  try {
    report = std::make_shared<Callback<std::vector<std::string>>>(std::move(done));
  } catch (...) {
    done(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "out of memory"), {});
    return;
  }
  bool handed_off = false;
  try {
    std::optional<std::string> target = SocketTarget(path);
    if (!target) {
      (*report)(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                       "socket path too long (" + std::to_string(path.size()) +
                           " bytes; Unix sockets allow " + std::to_string(kMaxSocketPath) + ")"),
          {});
      return;
    }
    grpc::ChannelArguments args;
    // A distinct argument gives each probe its own subchannel, so one hung socket cannot
    // delay another probe and the connection dies with the probe's channel.
    args.SetString("plughost.probe", *target);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
    std::shared_ptr<grpc::Channel> channel =
        grpc::CreateCustomChannel(*target, grpc::InsecureChannelCredentials(), args);
    if (channel_out != nullptr) *channel_out = channel;
    Callback<std::vector<std::string>> explain_failure =
        [report, timeout](grpc::Status status, std::vector<std::string> services) {
          if (!status.ok()) {
            status = grpc::Status(status.error_code(), DescribeProbeFailure(status, timeout));
          }
          (*report)(std::move(status), std::move(services));
        };
    // From here on ListServicesByReflection owns reporting (it never throws).
    handed_off = true;
    ListServicesByReflection(std::move(channel), deadline, std::move(explain_failure));
  } catch (...) {
    if (!handed_off) {
      try {
        (*report)(grpc::Status(grpc::StatusCode::INTERNAL, "cannot start probe"), {});
      } catch (...) {
      }
    }
  }
}

DiscoveryResult DiscoverComponents(const DiscoveryOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  DiscoveryResult result;
  try {
    SocketFolderListing listing = ListSocketFolder(options.folder);
    if (listing.folder_missing && options.log) {
      PH_LOG_INFO(kLogScope, "socket folder {} does not exist; no pluggable components",
                  options.folder);
    }
    auto board = StartProbes(listing.sockets, options.probe_timeout);
    auto classify = [&](const std::vector<ProbeOutcome>& outcomes, bool settled_early) {
      DiscoveryResult classified;
      classified.skipped = listing.skipped;
      for (size_t i = 0; i < listing.sockets.size(); ++i) {
        Classify(listing.sockets[i], outcomes[i], settled_early, &classified);
      }
      return classified;
    };
    bool settled = false;
    if (options.settle_after.count() > 0 && options.settle_after < options.probe_timeout) {
      WaitForProbes(*board, start + options.settle_after);
      DiscoveryResult early =
          classify(WaitForAliveProbes(*board, start + options.probe_timeout + kReportGrace),
                   /*settled_early=*/true);
      if (early.pending.empty() || !options.enough || options.enough(early.components)) {
        result = std::move(early);
        settled = true;
      }
    }
    if (!settled) {
      result = classify(WaitForProbes(*board, start + options.probe_timeout + kReportGrace),
                        /*settled_early=*/false);
    }

    // Probes finish in any order; sorting keeps logs and registration order reproducible.
    std::sort(result.components.begin(), result.components.end(),
              [](const auto& a, const auto& b) { return a.path < b.path; });
    std::sort(result.skipped.begin(), result.skipped.end(),
              [](const auto& a, const auto& b) { return a.path < b.path; });
    std::sort(result.pending.begin(), result.pending.end());

    if (options.log) {
      for (const auto& component : result.components) {
        PH_LOG_INFO(kLogScope, "discovered {} at {}: {} (services: {})", component.name,
                    component.path, DescribeKinds(component.kinds), Join(component.services));
      }
      for (const auto& entry : result.skipped) {
        PH_LOG_WARN(kLogScope, "skipping {}: {}", entry.path, entry.reason);
      }
      if (!result.pending.empty()) {
        PH_LOG_INFO(kLogScope,
                    "{} socket(s) not answering after {} ms, probed in the background "
                    "(up to {} ms) and added when they answer: {}",
                    result.pending.size(), options.settle_after.count(),
                    options.probe_timeout.count(), Join(result.pending));
      }
    }
  } catch (const std::exception& e) {
    // Startup goes on without pluggable components rather than dying on an allocation failure.
    if (options.log)
      PH_LOG_ERROR(kLogScope, "discovery in {} failed: {}", options.folder, e.what());
  } catch (...) {
    if (options.log) PH_LOG_ERROR(kLogScope, "discovery in {} failed", options.folder);
  }
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return result;
}

std::string DefaultSocketsFolder() { return ResolveSocketsFolder(); }

}  // namespace plughost
