#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "host/app/cli.h"

namespace plughost {
namespace {

absl::StatusOr<CliOptions> Parse(std::vector<const char*> args,
                                 std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), "plughost");
  return ParseCommandLine(static_cast<int>(args.size()), args.data(), [env](const char* name) {
    auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
  });
}

}  // namespace

TEST_CASE("defaults: Dapr's port and socket folder") {
  auto options = Parse({});
  REQUIRE(options.ok());
  CHECK(options->command == Command::kServe);
  CHECK(options->host.grpc_address == "127.0.0.1:50001");
  CHECK(options->host.sockets_dir == "/tmp/dapr-components-sockets");
}

TEST_CASE("environment: socket folder and DAPR_GRPC_PORT; flags win") {
  auto from_env = Parse({}, {{"DAPR_COMPONENTS_SOCKETS_FOLDER", "/d"}, {"DAPR_GRPC_PORT", "6000"}});
  REQUIRE(from_env.ok());
  CHECK(from_env->host.sockets_dir == "/d");
  CHECK(from_env->host.grpc_address == "127.0.0.1:6000");
  auto ours = Parse({}, {{"PLUGHOST_SOCKETS_DIR", "/p"}, {"DAPR_COMPONENTS_SOCKETS_FOLDER", "/d"}});
  CHECK(ours->host.sockets_dir == "/p");
  auto layotto = Parse({}, {{"LAYOTTO_COMPONENTS_SOCKETS_FOLDER", "/l"}});
  CHECK(layotto->host.sockets_dir == "/l");
  auto dapr_first = Parse(
      {}, {{"LAYOTTO_COMPONENTS_SOCKETS_FOLDER", "/l"}, {"DAPR_COMPONENTS_SOCKETS_FOLDER", "/d"}});
  CHECK(dapr_first->host.sockets_dir == "/d");
  // Dapr's injector sets the singular spelling in a pod; the plural (daprd's) wins over it.
  auto injected = Parse({}, {{"DAPR_COMPONENT_SOCKETS_FOLDER", "/k"}});
  CHECK(injected->host.sockets_dir == "/k");
  auto both = Parse(
      {}, {{"DAPR_COMPONENTS_SOCKETS_FOLDER", "/d"}, {"DAPR_COMPONENT_SOCKETS_FOLDER", "/k"}});
  CHECK(both->host.sockets_dir == "/d");
  auto ping = Parse({"--ping-timeout", "300", "--ping-failures", "5"}, {});
  REQUIRE(ping.ok());
  CHECK(ping->host.ping_timeout == std::chrono::milliseconds(300));
  CHECK(ping->host.ping_failure_threshold == 5);
  CHECK_FALSE(Parse({"--ping-failures", "0"}, {}).ok());
  auto flags = Parse({"--sockets-dir", "/f", "--grpc-address=unix:/tmp/a.sock"},
                     {{"PLUGHOST_SOCKETS_DIR", "/p"}, {"DAPR_GRPC_PORT", "6000"}});
  REQUIRE(flags.ok());
  CHECK(flags->host.sockets_dir == "/f");
  CHECK(flags->host.grpc_address == "unix:/tmp/a.sock");
}

TEST_CASE("every flag is parsed; bad ones are named") {
  auto options = Parse({"--config", "c.json", "--app-id", "a", "--app-address", "127.0.0.1:3000",
                        "--log-level", "debug", "--log-format", "json", "--probe-timeout", "500",
                        "--init-timeout=900"});
  REQUIRE(options.ok());
  CHECK(options->command == Command::kServe);
  CHECK(options->host.config_path == "c.json");
  CHECK(options->host.app_id == "a");
  CHECK(options->host.app_address == "127.0.0.1:3000");
  CHECK(options->log_level == "debug");
  CHECK(options->log_format == "json");
  CHECK(options->host.probe_timeout == std::chrono::milliseconds(500));
  CHECK(options->host.init_timeout == std::chrono::milliseconds(900));

  CHECK_THAT(std::string(Parse({"--log-level", "loud"}).status().message()),
             Catch::Contains("--log-level"));
  CHECK_THAT(std::string(Parse({"--probe-timeout", "-3"}).status().message()),
             Catch::Contains("--probe-timeout"));
  CHECK_THAT(std::string(Parse({"--config"}).status().message()), Catch::Contains("needs a value"));
  CHECK_THAT(std::string(Parse({"stray"}).status().message()), Catch::Contains("'stray'"));
  auto limits = Parse({"--component-timeout", "700", "--ping-interval", "250", "--drain-timeout",
                       "100", "--api-token", "t0k", "--max-message-bytes", "1024",
                       "--max-concurrent-calls", "8", "--allow-insecure-sockets-dir"});
  REQUIRE(limits.ok());
  CHECK(limits->host.component_timeout == std::chrono::milliseconds(700));
  CHECK(limits->host.ping_interval == std::chrono::milliseconds(250));
  CHECK(limits->host.drain_timeout == std::chrono::milliseconds(100));
  CHECK(limits->host.api_token == "t0k");
  CHECK(limits->host.max_message_bytes == 1024);
  CHECK(limits->host.max_concurrent_calls == 8);
  CHECK(limits->host.allow_insecure_sockets_dir);
  CHECK(Parse({}, {{"DAPR_API_TOKEN", "env-token"}})->host.api_token == "env-token");
  CHECK_THAT(std::string(Parse({"--max-message-bytes", "0"}).status().message()),
             Catch::Contains("--max-message-bytes"));
  CHECK(Parse({"--help"})->command == Command::kHelp);
  CHECK(Parse({"--version"})->command == Command::kVersion);
}

TEST_CASE("daprd's flags and environment mean what they mean in daprd") {
  auto options =
      Parse({"--app-id", "myapp", "--app-port", "3000", "--app-protocol", "HTTP",
             "--dapr-grpc-port", "50002", "--dapr-http-port=3501", "--resources-path", "/r1",
             "--components-path", "/r2", "--resources-path=/r3,/r4", "--log-level", "warn"});
  REQUIRE(options.ok());
  CHECK(options->host.app_id == "myapp");
  CHECK(options->host.app_address == "127.0.0.1:3000");
  CHECK(options->host.app_protocol == "http");
  CHECK(options->host.grpc_address == "127.0.0.1:50002");
  CHECK(options->host.http_address == "127.0.0.1:3501");
  CHECK(options->host.http_address_explicit);
  CHECK(options->host.resources_paths == std::vector<std::string>{"/r1", "/r2", "/r3", "/r4"});
  CHECK(options->log_level == "warn");
  CHECK(Parse({"--log-level", "fatal"})->log_level == "error");
  // daprd's default protocol comes with daprd's flag; plughost's own flag keeps gRPC.
  CHECK(Parse({"--app-port", "3000"})->host.app_protocol == "http");
  CHECK(Parse({"--app-port", "3000", "--app-protocol", "grpc"})->host.app_protocol == "grpc");
  CHECK(Parse({"--app-address", "127.0.0.1:3000"})->host.app_protocol == "grpc");

  auto env = Parse(
      {}, {{"DAPR_HTTP_PORT", "3600"}, {"DAPR_GRPC_PORT", "6000"}, {"DAPR_API_TOKEN", "tok"}});
  REQUIRE(env.ok());
  CHECK(env->host.http_address == "127.0.0.1:3600");
  CHECK(env->host.grpc_address == "127.0.0.1:6000");
  CHECK(env->host.api_token == "tok");
  auto flag_wins = Parse({"--dapr-grpc-port", "7000", "--dapr-http-port", "7001"},
                         {{"DAPR_HTTP_PORT", "3600"}, {"DAPR_GRPC_PORT", "6000"}});
  CHECK(flag_wins->host.grpc_address == "127.0.0.1:7000");
  CHECK(flag_wins->host.http_address == "127.0.0.1:7001");

  CHECK_THAT(std::string(Parse({"--app-port", "70000"}).status().message()),
             Catch::Contains("--app-port: expected a port 1-65535"));
  CHECK_THAT(std::string(Parse({"--app-protocol", "grpcs"}).status().message()),
             Catch::Contains("--app-protocol: expected grpc or http"));
  CHECK_THAT(std::string(Parse({"--app-port", "1", "--app-address", "x:1"}).status().message()),
             Catch::Contains("--app-address and --app-port"));
}

TEST_CASE("the socket folder: one resolution, in its documented order") {
  CHECK(Parse({}, {{"LAYOTTO_COMPONENTS_SOCKETS_FOLDER", "/l"}})->host.sockets_dir == "/l");
  CHECK(Parse({}, {{"LAYOTTO_COMPONENTS_SOCKETS_FOLDER", "/l"},
                   {"DAPR_COMPONENT_SOCKETS_FOLDER", "/k"}})
            ->host.sockets_dir == "/k");
  CHECK(
      Parse({}, {{"DAPR_COMPONENTS_SOCKETS_FOLDER", "/d"}, {"DAPR_COMPONENT_SOCKETS_FOLDER", "/k"}})
          ->host.sockets_dir == "/d");
}

TEST_CASE("subcommands refuse flags they do not take; --help names each command's flags") {
  CHECK_THAT(std::string(Parse({"components", "--app-id", "x"}).status().message()),
             Catch::Contains("--app-id belongs to 'plughost', not 'plughost components'"));
  CHECK_THAT(std::string(Parse({"components", "--app-id=x"}).status().message()),
             Catch::Contains("--app-id belongs to"));
  CHECK_THAT(std::string(Parse({"--operations", "first-write"}).status().message()),
             Catch::Contains("--operations belongs to 'plughost conformance'"));
  CHECK(Parse({"conformance", "--socket", "/s", "--operations", "first-write,ttl"})
            ->conformance.operations == std::set<std::string>{"first-write", "ttl"});
  CHECK(Parse({"components", "--sockets-dir", "/s", "--probe-timeout", "10"}).ok());
  auto help = Parse({"components", "--help"});
  REQUIRE(help.ok());
  CHECK(help->command == Command::kHelp);
  CHECK(help->help_for == Command::kComponents);
  std::string components = UsageText(Command::kComponents);
  CHECK_THAT(components, Catch::Contains("--sockets-dir"));
  CHECK_THAT(components, Catch::Contains("--config"));  // tells launched processes apart
  CHECK_THAT(components, !Catch::Contains("--app-id"));
  std::string all = UsageText();
  for (const char* flag : {"--config", "--resources-path", "--app-port", "--dapr-http-port",
                           "--socket", "--metadata", "Flags of plughost components"}) {
    CHECK_THAT(all, Catch::Contains(flag));
  }
}

TEST_CASE("app health check flags: daprd's units, defaults and refusal") {
  auto defaults = Parse({});
  REQUIRE(defaults.ok());
  CHECK_FALSE(defaults->host.app_health_check);
  CHECK(defaults->host.app_health_check_path == "/healthz");
  CHECK(defaults->host.app_health_probe_interval == std::chrono::seconds(5));
  CHECK(defaults->host.app_health_probe_timeout == std::chrono::milliseconds(500));
  CHECK(defaults->host.app_health_threshold == 3);
  auto given = Parse({"--enable-app-health-check", "--app-health-check-path", "/ready",
                      "--app-health-probe-interval", "2", "--app-health-probe-timeout", "800",
                      "--app-health-threshold", "1"});
  REQUIRE(given.ok());
  CHECK(given->host.app_health_check);
  CHECK(given->host.app_health_check_path == "/ready");
  CHECK(given->host.app_health_probe_interval == std::chrono::seconds(2));
  CHECK(given->host.app_health_probe_timeout == std::chrono::milliseconds(800));
  CHECK(given->host.app_health_threshold == 1);
  // As daprd: zero or less means the default.
  auto zeros = Parse({"--app-health-probe-interval", "0", "--app-health-threshold", "-1"});
  REQUIRE(zeros.ok());
  CHECK(zeros->host.app_health_probe_interval == std::chrono::seconds(5));
  CHECK(zeros->host.app_health_threshold == 3);
  CHECK_FALSE(Parse({"--app-health-threshold", "x"}).ok());
  // As daprd: a probe timeout above the interval is refused.
  auto slow = Parse({"--app-health-probe-interval", "1", "--app-health-probe-timeout", "1500"});
  REQUIRE_FALSE(slow.ok());
  CHECK_THAT(std::string(slow.status().message()), Catch::Contains("--app-health-probe-timeout"));
}

TEST_CASE("README's flags table names every flag --help lists") {
  const char* readme_path = std::getenv("README");
  REQUIRE(readme_path != nullptr);
  std::ifstream file(readme_path);
  std::stringstream readme;
  readme << file.rdbuf();
  REQUIRE_FALSE(readme.str().empty());
  std::istringstream usage(UsageText());
  for (std::string line; std::getline(usage, line);) {
    if (line.rfind("  --", 0) != 0) continue;
    std::string flag = line.substr(2, line.find(' ', 2) - 2);
    INFO(flag);
    CHECK_THAT(readme.str(), Catch::Contains("`" + flag));
  }
}

}  // namespace plughost
