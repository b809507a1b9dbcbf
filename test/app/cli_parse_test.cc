#include <catch2/catch.hpp>

#include <map>

#include "host/app/cli.h"

namespace plughost {
namespace {

absl::StatusOr<CliOptions> Parse(std::vector<const char*> args,
                                 std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), "plughost");
  return ParseCommandLine(static_cast<int>(args.size()), args.data(),
                          [env](const char* name) {
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
  // Dapr's injector sets the singular spelling in a pod; the plural (daprd's) wins over it.
  auto injected = Parse({}, {{"DAPR_COMPONENT_SOCKETS_FOLDER", "/k"}});
  CHECK(injected->host.sockets_dir == "/k");
  auto both = Parse({}, {{"DAPR_COMPONENTS_SOCKETS_FOLDER", "/d"}, {"DAPR_COMPONENT_SOCKETS_FOLDER", "/k"}});
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
  auto options = Parse({"components", "--config", "c.json", "--app-id", "a", "--app-address",
                        "127.0.0.1:3000", "--log-level", "debug", "--log-format", "json",
                        "--probe-timeout", "500", "--init-timeout=900"});
  REQUIRE(options.ok());
  CHECK(options->command == Command::kComponents);
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

}  // namespace plughost
