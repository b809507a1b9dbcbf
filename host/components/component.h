// The part every component instance shares, whatever its kind: lifecycle and health.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "host/common/callback.h"

namespace grpc {
class CallbackServerContext;
}

namespace plughost {

// What an instance is initialised with.
struct InitSpec {
  std::string instance_name;                    // the name apps use, e.g. "statestore"
  std::string type;                             // e.g. "state.redis"
  std::map<std::string, std::string> metadata;  // the config entry's metadata
  std::chrono::milliseconds timeout{5000};
};

// The Ping deadline when the caller names none.
inline constexpr std::chrono::milliseconds kDefaultPingTimeout{2000};

// Per-call options handed down from the app-facing API to a component.
struct CallOptions {
  // The app's own call, when there is one: its deadline and cancellation reach the component.
  grpc::CallbackServerContext* app_call = nullptr;
  // Upper bound applied when the app set no tighter deadline.
  std::chrono::milliseconds default_timeout{std::chrono::seconds(30)};
};

class Component {
 public:
  virtual ~Component() = default;

  // Initialises the instance (and learns its features). Called once before any other call;
  // called again after the component restarts.
  virtual void Init(const InitSpec& spec, StatusCallback done) = 0;

  // Capability strings reported by the component (e.g. "ETAG", "TRANSACTIONAL"), valid after Init.
  virtual std::vector<std::string> Features() const = 0;

  // Cheap liveness probe.
  virtual void Ping(StatusCallback done) = 0;
  // The same under a deadline the caller chooses (the supervisor's --ping-timeout); components
  // that answer in-process ignore it.
  virtual void PingWithin(std::chrono::milliseconds /*timeout*/, StatusCallback done) {
    Ping(std::move(done));
  }
};

}  // namespace plughost
