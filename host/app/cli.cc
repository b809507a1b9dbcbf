#include "host/app/cli.h"

#include <fmt/format.h>

#include <cstdlib>
#include <map>
#include <string_view>

#include "host/common/log.h"
#include "host/discovery/discovery.h"

namespace plughost {
namespace {

// Parses a duration in milliseconds given as plain digits.
bool ParseMillis(const std::string& text, std::chrono::milliseconds* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (*end != '\0' || value <= 0) return false;
  *out = std::chrono::milliseconds(value);
  return true;
}

}  // namespace

std::string ProcessEnv(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string UsageText() {
  return R"(plughost — a host for pluggable components over Unix domain sockets

Usage:
  plughost [flags]              serve the Dapr and Layotto runtime APIs
  plughost components [flags]   list what the socket folder offers, then exit
  plughost conformance --socket PATH [--kind KIND] [--metadata KEY=VALUE ...]
                                check one component socket as the host uses it: one
                                PASS/FAIL/SKIP line per case; exit 1 on a failure, 2 when
                                the socket cannot be reached
  plughost --help | --version

Flags:
  --config FILE           JSON configuration (default: embedded defaults)
  --sockets-dir DIR       socket folder to scan (env PLUGHOST_SOCKETS_DIR,
                          DAPR_COMPONENTS_SOCKETS_FOLDER; default /tmp/dapr-components-sockets)
  --grpc-address ADDR     app-facing API, host:port or unix:/path
                          (default 127.0.0.1:50001, or 127.0.0.1:$DAPR_GRPC_PORT)
  --app-address ADDR      the app's callback server (gRPC), host:port or unix:/path
  --app-id ID             the app's id (overrides the configuration's app_id)
  --log-level LEVEL       debug | info | warn | error (default info)
  --log-format FORMAT     text | json (default text)
  --probe-timeout MS      deadline for each socket's discovery probe (default 2000)
  --discovery-wait MS     how long startup waits for sockets to answer (default 250); later
                          ones are probed in the background and join when they answer
  --init-timeout MS       deadline for each component's Init (default 5000)
  --component-timeout MS  deadline for each component call the app did not bound (default 30000)
  --ping-interval MS      how often each pluggable component is health-checked (default 1000)
  --ping-timeout MS       deadline for each health check (default 2000)
  --ping-failures N       failed health checks in a row before /readyz reports a component
                          that is still connected (default 3); its calls are still served
  --drain-timeout MS      how long shutdown waits for in-flight calls (default 5000)
  --ops-address ADDR      /healthz, /readyz and /metrics over HTTP (default 127.0.0.1:9090;
                          "off" disables)
  --api-token TOKEN       require "dapr-api-token" on every API call (env DAPR_API_TOKEN)
  --max-message-bytes N   largest request accepted (default 4194304); larger: RESOURCE_EXHAUSTED
  --max-concurrent-calls N  calls in flight per component instance (default 0 = unlimited)
  --allow-insecure-sockets-dir  accept a socket folder every user can write to

Conformance flags:
  --socket PATH           the component's Unix socket
  --kind KIND             test only this kind: state, pubsub, bindings, secretstores,
                          configuration, lock, sequencer, hello (default: every kind it serves)
  --metadata KEY=VALUE    Init metadata for every instance the kit creates (repeatable)
)";
}

absl::StatusOr<CliOptions> ParseCommandLine(int argc, const char* const* argv,
                                            const EnvLookup& env) {
  CliOptions options;
  bool address_given = false;
  bool sockets_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "components" && i == 1) {
      options.command = Command::kComponents;
      continue;
    }
    if (arg == "conformance" && i == 1) {
      options.command = Command::kConformance;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      options.command = Command::kHelp;
      return options;
    }
    if (arg == "--version") {
      options.command = Command::kVersion;
      return options;
    }
    if (arg == "--allow-insecure-sockets-dir") {
      options.host.allow_insecure_sockets_dir = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(fmt::format("unexpected argument '{}'", arg));
    }
    std::string name = arg, value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    static const std::map<std::string, int> kFlags = {
        {"--config", 0},      {"--sockets-dir", 1},   {"--grpc-address", 2},
        {"--app-address", 3}, {"--app-id", 4},        {"--log-level", 5},
        {"--log-format", 6},  {"--probe-timeout", 7}, {"--init-timeout", 8},
        {"--component-timeout", 9}, {"--ping-interval", 10}, {"--drain-timeout", 11},
        {"--api-token", 12}, {"--max-message-bytes", 13}, {"--max-concurrent-calls", 14},
        {"--ops-address", 15}, {"--socket", 16}, {"--kind", 17}, {"--metadata", 18},
        {"--discovery-wait", 19}, {"--ping-timeout", 20}, {"--ping-failures", 21}};
    auto flag = kFlags.find(name);
    if (flag == kFlags.end()) {
      return absl::InvalidArgumentError(fmt::format("unknown flag '{}'", name));
    }
    if (!has_value) {
      if (i + 1 >= argc) return absl::InvalidArgumentError(fmt::format("{} needs a value", name));
      value = argv[++i];
    }
    switch (flag->second) {
      case 0: options.host.config_path = value; break;
      case 1: options.host.sockets_dir = value; sockets_given = true; break;
      case 2: options.host.grpc_address = value; address_given = true; break;
      case 3: options.host.app_address = value; break;
      case 4: options.host.app_id = value; break;
      case 5: {
        log::Level level;
        if (!log::ParseLevel(value, &level)) {
          return absl::InvalidArgumentError(fmt::format(
              "--log-level: expected debug, info, warn or error, got '{}'", value));
        }
        options.log_level = value;
        break;
      }
      case 6:
        if (value != "text" && value != "json") {
          return absl::InvalidArgumentError(
              fmt::format("--log-format: expected text or json, got '{}'", value));
        }
        options.log_format = value;
        break;
      case 7:
      case 8:
      case 9:
      case 10:
      case 11: {
        std::chrono::milliseconds ms;
        if (!ParseMillis(value, &ms)) {
          return absl::InvalidArgumentError(fmt::format(
              "{}: expected a positive number of milliseconds, got '{}'", name, value));
        }
        std::chrono::milliseconds* targets[] = {
            &options.host.probe_timeout, &options.host.init_timeout,
            &options.host.component_timeout, &options.host.ping_interval,
            &options.host.drain_timeout};
        *targets[flag->second - 7] = ms;
        break;
      }
      case 12:
        options.host.api_token = value;
        break;
      case 20:
        if (!ParseMillis(value, &options.host.ping_timeout)) {
          return absl::InvalidArgumentError(fmt::format(
              "--ping-timeout: expected a positive number of milliseconds, got '{}'", value));
        }
        break;
      case 21: {
        char* end = nullptr;
        long number = std::strtol(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || number < 1 || number > 1000) {
          return absl::InvalidArgumentError(fmt::format(
              "--ping-failures: expected a whole number from 1 to 1000, got '{}'", value));
        }
        options.host.ping_failure_threshold = static_cast<int>(number);
        break;
      }
      case 19: {
        // 0 is allowed here: wait for every probe, as before hot-plug took the stragglers.
        std::chrono::milliseconds ms{0};
        if (value != "0" && !ParseMillis(value, &ms)) {
          return absl::InvalidArgumentError(fmt::format(
              "--discovery-wait: expected a number of milliseconds (0 = wait for every socket), "
              "got '{}'", value));
        }
        options.host.discovery_wait = ms;
        break;
      }
      case 15:
        options.host.ops_address = value;
        options.host.ops_address_explicit = true;
        break;
      case 16:
      case 17:
      case 18: {
        if (options.command != Command::kConformance) {
          return absl::InvalidArgumentError(
              fmt::format("{} belongs to 'plughost conformance'", name));
        }
        auto eq = value.find('=');
        if (flag->second == 18 && (eq == std::string::npos || eq == 0)) {
          return absl::InvalidArgumentError(
              fmt::format("--metadata: expected KEY=VALUE, got '{}'", value));
        }
        if (flag->second == 16) options.conformance.socket = value;
        if (flag->second == 17) options.conformance.kind = value;
        if (flag->second == 18) {
          options.conformance.metadata[value.substr(0, eq)] = value.substr(eq + 1);
        }
        break;
      }
      case 13:
      case 14: {
        char* end = nullptr;
        long long number = std::strtoll(value.c_str(), &end, 10);
        bool positive_only = flag->second == 13;
        if (value.empty() || *end != '\0' || number < (positive_only ? 1 : 0) ||
            number > (1LL << 30)) {
          return absl::InvalidArgumentError(fmt::format(
              "{}: expected a whole number{}, got '{}'", name,
              positive_only ? " above 0" : " (0 = unlimited)", value));
        }
        if (flag->second == 13) options.host.max_message_bytes = static_cast<int>(number);
        else options.host.max_concurrent_calls = number;
        break;
      }
    }
  }
  if (options.command == Command::kConformance && options.conformance.socket.empty()) {
    return absl::InvalidArgumentError("conformance: --socket PATH is required");
  }
  if (!sockets_given) {
    std::string from_env = env("PLUGHOST_SOCKETS_DIR");
    if (from_env.empty()) from_env = env("DAPR_COMPONENTS_SOCKETS_FOLDER");
    // What Dapr's injector sets in a pod (singular COMPONENT), see docs/kubernetes.md.
    if (from_env.empty()) from_env = env("DAPR_COMPONENT_SOCKETS_FOLDER");
    options.host.sockets_dir = from_env.empty() ? "/tmp/dapr-components-sockets" : from_env;
  }
  if (options.host.api_token.empty()) options.host.api_token = env("DAPR_API_TOKEN");
  if (!address_given) {
    std::string port = env("DAPR_GRPC_PORT");
    if (!port.empty()) options.host.grpc_address = "127.0.0.1:" + port;
  }
  return options;
}

}  // namespace plughost
