#include "host/app/cli.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <string_view>
#include <vector>

#include "common/sockets_folder.h"
#include "host/common/log.h"

namespace plughost {
namespace {

// Which commands take a flag (a bit set).
enum Takes : unsigned {
  kServeOnly = 1,
  kComponentsOnly = 2,
  kConformanceOnly = 4,
  kServeAndComponents = kServeOnly | kComponentsOnly,
  kEveryCommand = kServeOnly | kComponentsOnly | kConformanceOnly,
};

// What the parsers remember beyond CliOptions: which flags were given, for the environment
// fallbacks and the conflicts checked after parsing.
struct ParseState {
  std::set<std::string> given;
};

using FlagParser = std::function<absl::Status(const std::string& value, CliOptions& options)>;

// One flag: its names (the first is the one shown; the others are aliases), the value's
// placeholder (empty: a switch without value), its help (lines split at '\n'), which commands
// take it, whether it may repeat, and how its value is applied.
struct Flag {
  std::vector<std::string> names;
  std::string value_name;
  std::string help;
  unsigned takes;
  bool repeatable;
  FlagParser parse;
};

absl::Status Invalid(const std::string& message) { return absl::InvalidArgumentError(message); }

// A parser for a duration in milliseconds given as plain digits; `allow_zero` for flags where
// 0 has a meaning of its own.
FlagParser Millis(const std::string& flag, std::chrono::milliseconds HostOptions::*field,
                  bool allow_zero = false, const std::string& zero_means = "") {
  return [=](const std::string& value, CliOptions& options) {
    char* end = nullptr;
    long long number = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || number < (allow_zero ? 0 : 1)) {
      return Invalid(fmt::format("{}: expected a {}number of milliseconds{}, got '{}'", flag,
                                 allow_zero ? "" : "positive ", zero_means, value));
    }
    options.host.*field = std::chrono::milliseconds(number);
    return absl::OkStatus();
  };
}

// A parser for a whole number in [min, 2^30].
template <typename T>
FlagParser Number(const std::string& flag, T HostOptions::*field, long long min,
                  const std::string& expected) {
  return [=](const std::string& value, CliOptions& options) {
    char* end = nullptr;
    long long number = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || number < min || number > (1LL << 30)) {
      return Invalid(fmt::format("{}: expected {}, got '{}'", flag, expected, value));
    }
    options.host.*field = static_cast<T>(number);
    return absl::OkStatus();
  };
}

// daprd's integer flags of the app health check: `unit`s; zero or less keeps the default, as
// daprd does.
FlagParser DaprdDefaulted(const std::string& flag, std::chrono::milliseconds HostOptions::*field,
                          std::chrono::milliseconds unit) {
  return [=](const std::string& value, CliOptions& options) {
    char* end = nullptr;
    long long number = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || number > (1LL << 30)) {
      return Invalid(fmt::format("{}: expected a whole number, got '{}'", flag, value));
    }
    if (number > 0) options.host.*field = unit * number;
    return absl::OkStatus();
  };
}

FlagParser Text(std::string HostOptions::*field) {
  return [=](const std::string& value, CliOptions& options) {
    options.host.*field = value;
    return absl::OkStatus();
  };
}

// A TCP port 1-65535 becomes "127.0.0.1:<port>" in `field`, as daprd's port flags mean.
FlagParser LocalPort(const std::string& flag, std::string HostOptions::*field) {
  return [=](const std::string& value, CliOptions& options) {
    char* end = nullptr;
    long port = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || port < 1 || port > 65535) {
      return Invalid(fmt::format("{}: expected a port 1-65535, got '{}'", flag, value));
    }
    options.host.*field = fmt::format("127.0.0.1:{}", port);
    return absl::OkStatus();
  };
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

constexpr bool kOnce = false;  // Flag::repeatable
constexpr bool kRepeatable = true;

// The table. To add a flag: one entry here (and the HostOptions field it fills); the parser,
// the refusal by other subcommands and the usage text follow from it.
const std::vector<Flag>& Flags() {
  static const std::vector<Flag> flags = {
      {{"--config"},
       "FILE",
       "JSON configuration (default: embedded defaults); for 'components', to tell\n"
       "the sockets of its declared processes apart",
       kServeAndComponents,
       kOnce,
       Text(&HostOptions::config_path)},
      {{"--resources-path", "--components-path"},
       "DIR",
       "a folder of Dapr resource files (.yaml/.yml: Component, Subscription,\n"
       "Resiliency, and plughost's Process); repeatable or comma-separated;\n"
       "--components-path is its daprd alias",
       kServeOnly,
       kRepeatable,
       [](const std::string& value, CliOptions& options) {
         if (value.empty()) return Invalid("--resources-path: expected a folder, got ''");
         options.host.resources_paths.push_back(value);
         return absl::OkStatus();
       }},
      {{"--sockets-dir"},
       "DIR",
       "socket folder to scan (env PLUGHOST_SOCKETS_DIR,\n"
       "DAPR_COMPONENTS_SOCKETS_FOLDER, DAPR_COMPONENT_SOCKETS_FOLDER,\n"
       "LAYOTTO_COMPONENTS_SOCKETS_FOLDER; default\n"
       "/tmp/dapr-components-sockets)",
       kServeAndComponents,
       kOnce,
       Text(&HostOptions::sockets_dir)},
      {{"--grpc-address"},
       "ADDR",
       "app-facing API, host:port or unix:/path\n"
       "(default 127.0.0.1:50001, or 127.0.0.1:$DAPR_GRPC_PORT)",
       kServeOnly,
       kOnce,
       Text(&HostOptions::grpc_address)},
      {{"--dapr-grpc-port"},
       "PORT",
       "daprd's spelling: --grpc-address 127.0.0.1:PORT",
       kServeOnly,
       kOnce,
       LocalPort("--dapr-grpc-port", &HostOptions::grpc_address)},
      {{"--http-address"},
       "ADDR",
       "Dapr's HTTP API, host:port (default 127.0.0.1:3500, or\n"
       "127.0.0.1:$DAPR_HTTP_PORT; \"off\" disables)",
       kServeOnly,
       kOnce,
       [](const std::string& value, CliOptions& options) {
         if (value.empty()) return Invalid("--http-address: expected host:port or off, got ''");
         options.host.http_address = value;
         options.host.http_address_explicit = true;
         return absl::OkStatus();
       }},
      {{"--dapr-http-port"},
       "PORT",
       "Dapr's HTTP API on 127.0.0.1:PORT\n(default 3500, or $DAPR_HTTP_PORT)",
       kServeOnly,
       kOnce,
       [](const std::string& value, CliOptions& options) {
         auto status = LocalPort("--dapr-http-port", &HostOptions::http_address)(value, options);
         options.host.http_address_explicit = status.ok();
         return status;
       }},
      {{"--app-id"},
       "ID",
       "the app's id (overrides the configuration's app_id)",
       kServeOnly,
       kOnce,
       Text(&HostOptions::app_id)},
      {{"--app-address"},
       "ADDR",
       "the app's callback server, host:port or unix:/path",
       kServeOnly,
       kOnce,
       Text(&HostOptions::app_address)},
      {{"--app-port"},
       "PORT",
       "daprd's spelling: --app-address 127.0.0.1:PORT, an HTTP app\nunless --app-protocol says "
       "otherwise (daprd's default)",
       kServeOnly,
       kOnce,
       LocalPort("--app-port", &HostOptions::app_address)},
      {{"--app-protocol"},
       "PROTO",
       "how the host calls the app: grpc | http (default grpc;\nhttp with --app-port, as daprd)",
       kServeOnly,
       kOnce,
       [](const std::string& value, CliOptions& options) {
         std::string protocol = Lower(value);
         if (protocol != "grpc" && protocol != "http") {
           return Invalid(fmt::format("--app-protocol: expected grpc or http, got '{}'", value));
         }
         options.host.app_protocol = protocol;
         return absl::OkStatus();
       }},
      {{"--enable-app-health-check"},
       "",
       "probe the app (gRPC: AppCallbackHealthCheck; HTTP: GET on\n"
       "--app-health-check-path); deliveries start once it is healthy and pause\n"
       "while it is not",
       kServeOnly,
       kOnce,
       [](const std::string&, CliOptions& options) {
         options.host.app_health_check = true;
         return absl::OkStatus();
       }},
      {{"--app-health-check-path"},
       "PATH",
       "the HTTP app's health path (default /healthz)",
       kServeOnly,
       kOnce,
       Text(&HostOptions::app_health_check_path)},
      {{"--app-health-probe-interval"},
       "S",
       "seconds between app health probes (default 5)",
       kServeOnly,
       kOnce,
       DaprdDefaulted("--app-health-probe-interval", &HostOptions::app_health_probe_interval,
                      std::chrono::seconds(1))},
      {{"--app-health-probe-timeout"},
       "MS",
       "deadline of each app health probe (default 500; below the interval)",
       kServeOnly,
       kOnce,
       DaprdDefaulted("--app-health-probe-timeout", &HostOptions::app_health_probe_timeout,
                      std::chrono::milliseconds(1))},
      {{"--app-health-threshold"},
       "N",
       "failed app health probes in a row before the app is unhealthy\n(default 3)",
       kServeOnly,
       kOnce,
       [](const std::string& value, CliOptions& options) {
         char* end = nullptr;
         long long number = std::strtoll(value.c_str(), &end, 10);
         if (value.empty() || *end != '\0') {
           return Invalid(
               fmt::format("--app-health-threshold: expected a whole number, got '{}'", value));
         }
         // As daprd: a value below 1 (or too large) means the default.
         options.host.app_health_threshold =
             number < 1 || number > (1LL << 30) ? 3 : static_cast<int>(number);
         return absl::OkStatus();
       }},
      {{"--log-level"},
       "LEVEL",
       "debug | info | warn | error (default info; daprd's fatal means error)",
       kEveryCommand,
       kOnce,
       [](const std::string& value, CliOptions& options) {
         log::Level level;
         if (value == "fatal") {
           options.log_level = "error";  // the host has no level above error
           return absl::OkStatus();
         }
         if (!log::ParseLevel(value, &level)) {
           return Invalid(fmt::format(
               "--log-level: expected debug, info, warn, error or fatal, got '{}'", value));
         }
         options.log_level = value;
         return absl::OkStatus();
       }},
      {{"--log-format"},
       "FORMAT",
       "text | json (default text)",
       kEveryCommand,
       kOnce,
       [](const std::string& value, CliOptions& options) {
         if (value != "text" && value != "json") {
           return Invalid(fmt::format("--log-format: expected text or json, got '{}'", value));
         }
         options.log_format = value;
         return absl::OkStatus();
       }},
      {{"--probe-timeout"},
       "MS",
       "deadline for each socket's discovery probe (default 2000)",
       kServeAndComponents,
       kOnce,
       Millis("--probe-timeout", &HostOptions::probe_timeout)},
      {{"--discovery-wait"},
       "MS",
       "how long startup waits for sockets to answer (default 250; 0 = wait for\n"
       "every socket); later ones are probed in the background and join when\n"
       "they answer",
       kServeOnly,
       kOnce,
       Millis("--discovery-wait", &HostOptions::discovery_wait, true,
              " (0 = wait for every socket)")},
      {{"--init-timeout"},
       "MS",
       "deadline for each component's Init (default 5000; a resource file's\n"
       "spec.initTimeout wins for its component)",
       kServeOnly,
       kOnce,
       Millis("--init-timeout", &HostOptions::init_timeout)},
      {{"--component-timeout"},
       "MS",
       "deadline for each component call the app did not bound\n(default 30000)",
       kServeOnly,
       kOnce,
       Millis("--component-timeout", &HostOptions::component_timeout)},
      {{"--ping-interval"},
       "MS",
       "how often each pluggable component is health-checked (default 1000)",
       kServeOnly,
       kOnce,
       Millis("--ping-interval", &HostOptions::ping_interval)},
      {{"--drain-timeout"},
       "MS",
       "how long shutdown waits for in-flight calls (default 5000)",
       kServeOnly,
       kOnce,
       Millis("--drain-timeout", &HostOptions::drain_timeout)},
      {{"--ops-address"},
       "ADDR",
       "/healthz, /readyz and /metrics over HTTP (default 127.0.0.1:9090;\n"
       "\"off\" disables)",
       kServeOnly,
       kOnce,
       [](const std::string& value, CliOptions& options) {
         options.host.ops_address = value;
         options.host.ops_address_explicit = true;
         return absl::OkStatus();
       }},
      {{"--api-token"},
       "TOKEN",
       "require \"dapr-api-token\" on every API call\n(env DAPR_API_TOKEN)",
       kServeOnly,
       kOnce,
       Text(&HostOptions::api_token)},
      {{"--max-message-bytes"},
       "N",
       "largest request accepted (default 4194304);\nlarger: RESOURCE_EXHAUSTED",
       kServeOnly,
       kOnce,
       Number("--max-message-bytes", &HostOptions::max_message_bytes, 1, "a whole number above 0")},
      {{"--max-concurrent-calls"},
       "N",
       "calls in flight per component instance (default 0 = unlimited)",
       kServeOnly,
       kOnce,
       Number("--max-concurrent-calls", &HostOptions::max_concurrent_calls, 0,
              "a whole number (0 = unlimited)")},
      {{"--max-connections"},
       "N",
       "connections open at once on each of the gRPC and HTTP API ports\n"
       "(default 1024; 0 = unlimited); beyond it a new one is closed",
       kServeOnly,
       kOnce,
       Number("--max-connections", &HostOptions::max_connections, 0,
              "a whole number (0 = unlimited)")},
      {{"--allow-insecure-sockets-dir"},
       "",
       "accept a socket folder every user can write to",
       kServeAndComponents,
       kOnce,
       [](const std::string&, CliOptions& options) {
         options.host.allow_insecure_sockets_dir = true;
         return absl::OkStatus();
       }},
      {{"--socket"},
       "PATH",
       "the component's Unix socket (required)",
       kConformanceOnly,
       kOnce,
       [](const std::string& value, CliOptions& options) {
         options.conformance.socket = value;
         return absl::OkStatus();
       }},
      {{"--kind"},
       "KIND",
       "test only this kind: state, pubsub, bindings, secretstores,\n"
       "configuration, lock, sequencer, hello (default: every kind it serves)",
       kConformanceOnly,
       kOnce,
       [](const std::string& value, CliOptions& options) {
         options.conformance.kind = value;
         return absl::OkStatus();
       }},
      {{"--metadata"},
       "KEY=VALUE",
       "Init metadata for every instance the kit creates\n(repeatable)",
       kConformanceOnly,
       kRepeatable,
       [](const std::string& value, CliOptions& options) {
         auto eq = value.find('=');
         if (eq == std::string::npos || eq == 0) {
           return Invalid(fmt::format("--metadata: expected KEY=VALUE, got '{}'", value));
         }
         options.conformance.metadata[value.substr(0, eq)] = value.substr(eq + 1);
         return absl::OkStatus();
       }},
      {{"--operations"},
       "OP,...",
       "optional operations to test, as in Dapr's conformance configs\n"
       "(first-write); repeatable or comma-separated",
       kConformanceOnly,
       kRepeatable,
       [](const std::string& value, CliOptions& options) {
         for (size_t start = 0; start <= value.size();) {
           size_t comma = std::min(value.find(',', start), value.size());
           if (comma > start)
             options.conformance.operations.insert(value.substr(start, comma - start));
           start = comma + 1;
         }
         return absl::OkStatus();
       }},
      {{"--ping-timeout"},
       "MS",
       "deadline for each health check (default 2000)",
       kServeOnly,
       kOnce,
       Millis("--ping-timeout", &HostOptions::ping_timeout)},
      {{"--ping-failures"},
       "N",
       "failed health checks in a row before /readyz reports a component that\n"
       "is still connected (default 3); its calls are still served",
       kServeOnly,
       kOnce,
       Number("--ping-failures", &HostOptions::ping_failure_threshold, 1,
              "a whole number above 0")},
      {{"--restart-max-backoff"},
       "MS",
       "longest wait before restarting a launched process (default 10000)",
       kServeOnly,
       kOnce,
       Millis("--restart-max-backoff", &HostOptions::restart_max_backoff)},
  };
  return flags;
}

struct CommandInfo {
  Command command;
  const char* name;  // as typed: "" for serving
  unsigned bit;
  const char* usage;  // the usage line's arguments and what it does
};

constexpr CommandInfo kCommands[] = {
    {Command::kServe, "", kServeOnly,
     "[flags]              serve the Dapr and Layotto runtime APIs"},
    {Command::kComponents, "components", kComponentsOnly,
     "[flags]   list what the socket folder offers, then exit"},
    {Command::kConformance, "conformance", kConformanceOnly,
     "--socket PATH [flags]\n"
     "                                check one component socket as the host uses it: one\n"
     "                                PASS/FAIL/SKIP line per case; exit 1 on a failure, 2 when\n"
     "                                the socket cannot be reached"},
};

const CommandInfo& InfoOf(Command command) {
  for (const auto& info : kCommands) {
    if (info.command == command) return info;
  }
  return kCommands[0];
}

std::string Invocation(const CommandInfo& info) {
  return *info.name ? fmt::format("plughost {}", info.name) : "plughost";
}

const Flag* FindFlag(std::string_view name) {
  for (const auto& flag : Flags()) {
    for (const auto& alias : flag.names) {
      if (alias == name) return &flag;
    }
  }
  return nullptr;
}

std::string CommandsTaking(const Flag& flag) {
  std::string list;
  for (const auto& info : kCommands) {
    if (flag.takes & info.bit) list += (list.empty() ? "'" : " and '") + Invocation(info) + "'";
  }
  return list;
}

// "  --flag VALUE            help" with the help's further lines aligned under its first.
void AppendFlagHelp(const Flag& flag, std::string* out) {
  std::string left = flag.names.front() + (flag.value_name.empty() ? "" : " " + flag.value_name);
  constexpr size_t kColumn = 26;
  std::string_view help = flag.help;
  bool first = true;
  while (true) {
    auto newline = help.find('\n');
    std::string_view line = help.substr(0, newline);
    if (first) {
      *out += fmt::format("  {:<{}} {}\n", left, left.size() >= kColumn ? left.size() + 1 : kColumn,
                          line);
    } else {
      *out += fmt::format("  {:<{}} {}\n", "", kColumn, line);
    }
    first = false;
    if (newline == std::string_view::npos) break;
    help.remove_prefix(newline + 1);
  }
}

// Turns CLI11's message into one in the host's words (it names the flag at fault).
std::string ExplainParseError(const CLI::ParseError& error) {
  std::string what = error.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
    auto colon = what.find(": ");
    std::string extras = colon == std::string::npos ? what : what.substr(colon + 2);
    return fmt::format("unexpected argument '{}'", extras);
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) {
    auto colon = what.find(':');
    std::string name = what.substr(0, colon);
    if (const Flag* flag = FindFlag(name); flag != nullptr && !flag->value_name.empty()) {
      return fmt::format("{} needs a value ({})", name, flag->value_name);
    }
  }
  return what;
}

// daprd reads these at startup; a flag given on the command line wins.
void ApplyEnvironment(const ParseState& state, const EnvLookup& env, CliOptions& options) {
  if (!state.given.count("--sockets-dir")) options.host.sockets_dir = ResolveSocketsFolder(env);
  if (!state.given.count("--api-token")) options.host.api_token = env("DAPR_API_TOKEN");
  if (!state.given.count("--grpc-address") && !state.given.count("--dapr-grpc-port")) {
    std::string port = env("DAPR_GRPC_PORT");
    if (!port.empty()) options.host.grpc_address = "127.0.0.1:" + port;
  }
  if (!state.given.count("--dapr-http-port") && !options.host.http_address_explicit) {
    std::string port = env("DAPR_HTTP_PORT");
    if (!port.empty()) options.host.http_address = "127.0.0.1:" + port;
  }
}

// daprd's flags keep daprd's defaults: an app given by --app-port speaks HTTP unless
// --app-protocol says otherwise, so a daprd command line works unchanged. plughost's own
// --app-address keeps plughost's default, gRPC.
void ApplyDaprdDefaults(const ParseState& state, CliOptions& options) {
  if (state.given.count("--app-port") && !state.given.count("--app-protocol")) {
    options.host.app_protocol = "http";
  }
}

absl::Status CheckConflicts(const ParseState& state, const CliOptions& options) {
  for (auto [a, b] : {std::pair{"--app-address", "--app-port"},
                      std::pair{"--grpc-address", "--dapr-grpc-port"}}) {
    if (state.given.count(a) && state.given.count(b)) {
      return Invalid(fmt::format("{} and {} both name the same address; give one", a, b));
    }
  }
  // daprd refuses this whether or not the checks are enabled.
  if (options.host.app_health_probe_timeout > options.host.app_health_probe_interval) {
    return Invalid(fmt::format(
        "--app-health-probe-timeout ({} ms) must be smaller than --app-health-probe-interval "
        "({} s)",
        options.host.app_health_probe_timeout.count(),
        options.host.app_health_probe_interval.count() / 1000));
  }
  if (options.command == Command::kConformance && options.conformance.socket.empty()) {
    return Invalid("conformance: --socket PATH is required");
  }
  return absl::OkStatus();
}

}  // namespace

std::string ProcessEnv(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string UsageText(Command command) {
  bool everything =
      command == Command::kServe || command == Command::kHelp || command == Command::kVersion;
  std::string out =
      "plughost — a host for pluggable components over Unix domain sockets\n\nUsage:\n";
  for (const auto& info : kCommands) {
    if (!everything && info.command != command) continue;
    std::string invocation = Invocation(info);
    out += fmt::format("  {} {}\n", invocation, info.usage);
  }
  if (everything) out += "  plughost --help | --version  (plughost COMMAND --help: its flags)\n";
  for (const auto& info : kCommands) {
    if (!everything && info.command != command) continue;
    out += fmt::format("\nFlags of {}:\n", Invocation(info));
    std::string shared;  // flags already described above, named only
    for (const auto& flag : Flags()) {
      if (!(flag.takes & info.bit)) continue;
      bool described_above = everything && info.bit != kServeOnly && (flag.takes & kServeOnly);
      if (described_above) {
        shared += (shared.empty() ? "" : ", ") + flag.names.front();
      } else {
        AppendFlagHelp(flag, &out);
      }
    }
    if (!shared.empty()) out += fmt::format("  and {} (as above)\n", shared);
  }
  if (everything || command == Command::kServe) {
    out +=
        "\nEnvironment (as daprd reads it; a flag wins):\n"
        "  DAPR_API_TOKEN            token every API call must carry (--api-token)\n"
        "  APP_API_TOKEN             token sent to the app as \"dapr-api-token\"\n"
        "  DAPR_GRPC_PORT            --grpc-address 127.0.0.1:PORT\n"
        "  DAPR_HTTP_PORT            --dapr-http-port PORT\n"
        "  NAMESPACE, POD_NAME       {namespace} and {podName} in component metadata\n";
  }
  return out;
}

absl::StatusOr<CliOptions> ParseCommandLine(int argc, const char* const* argv,
                                            const EnvLookup& env) {
  CliOptions options;
  int first = 1;
  if (argc > 1) {
    for (const auto& info : kCommands) {
      if (*info.name && std::string_view(argv[1]) == info.name) {
        options.command = info.command;
        first = 2;
      }
    }
  }
  const CommandInfo& command = InfoOf(options.command);

  // Help, version and flags that do not apply are settled before CLI11 sees the line, so the
  // messages can name the subcommand a flag belongs to.
  for (int i = first; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      options.help_for = options.command;
      options.command = Command::kHelp;
      return options;
    }
    if (arg == "--version") {
      options.command = Command::kVersion;
      return options;
    }
  }
  for (int i = first; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.rfind("--", 0) != 0) continue;
    std::string_view name = arg.substr(0, arg.find('='));
    const Flag* flag = FindFlag(name);
    if (flag == nullptr) return Invalid(fmt::format("unknown flag '{}'", name));
    if (!(flag->takes & command.bit)) {
      return Invalid(fmt::format("{} belongs to {}, not '{}' ('{} --help' lists its flags)", name,
                                 CommandsTaking(*flag), Invocation(command), Invocation(command)));
    }
    bool value_follows = !flag->value_name.empty() && name.size() == arg.size();
    if (value_follows) ++i;  // its value may start with "--"
  }

  CLI::App app{"plughost"};
  app.set_help_flag();
  app.allow_windows_style_options(false);
  ParseState state;
  absl::Status failure;
  for (const auto& flag : Flags()) {
    if (!(flag.takes & command.bit)) continue;
    std::string names;
    for (const auto& alias : flag.names) names += (names.empty() ? "" : ",") + alias;
    const std::string& shown = flag.names.front();
    auto apply = [&, shown, &parse = flag.parse](const std::string& value) {
      state.given.insert(shown);
      if (auto status = parse(value, options); !status.ok()) {
        failure = status;
        throw CLI::ValidationError(shown, std::string(status.message()));
      }
    };
    if (flag.value_name.empty()) {
      app.add_flag_function(
          names, [apply](std::int64_t) { apply(""); }, flag.help);
      continue;
    }
    auto* option = app.add_option(
        names,
        [apply](const CLI::results_t& values) {
          for (const auto& value : values) apply(value);
          return true;
        },
        flag.help);
    option->type_size(1)->allow_extra_args(false);
    if (flag.repeatable) {
      option->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
      if (shown == "--resources-path") option->delimiter(',');
    } else {
      option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
  }
  std::vector<std::string> args;
  for (int i = argc - 1; i >= first; --i) args.emplace_back(argv[i]);  // CLI11 wants reverse order
  try {
    app.parse(args);
  } catch (const CLI::ParseError& error) {
    if (!failure.ok()) return failure;
    return Invalid(ExplainParseError(error));
  }
  ApplyEnvironment(state, env, options);
  ApplyDaprdDefaults(state, options);
  if (auto status = CheckConflicts(state, options); !status.ok()) return status;
  return options;
}

}  // namespace plughost
