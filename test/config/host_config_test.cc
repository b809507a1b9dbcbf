#include "host/config/host_config.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host/components/kind.h"

namespace plughost {
namespace {

constexpr std::string_view kSource = "config.json";

HostConfig ParseOk(std::string_view text) {
  auto config = ParseHostConfig(text, kSource);
  INFO(config.status().message());
  REQUIRE(config.ok());
  return *config;
}

// The whole error message of a config that must be rejected.
std::string ErrorOf(std::string_view text) {
  auto config = ParseHostConfig(text, kSource);
  REQUIRE_FALSE(config.ok());
  REQUIRE(config.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(config.status().message());
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (true) {
    size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return lines;
    start = end + 1;
  }
}

// A config with one component whose body is `component` (a JSON object's inside).
std::string OneComponent(const std::string& component) {
  return R"({"components": [{)" + component + "}]}";
}

// A fresh directory under the system temp dir, removed with its files at scope end.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/plughost-config-test-XXXXXX";
    char* made = ::mkdtemp(pattern);
    REQUIRE(made != nullptr);
    path_ = made;
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& content) const {
    std::string file = path_ + "/" + name;
    std::ofstream(file) << content;
    return file;
  }

 private:
  std::string path_;
};

TEST_CASE("a config with every field parses into specs", "[config]") {
  HostConfig config = ParseOk(R"({
    "app_id": "orders",
    "components": [
      {"name": "statestore", "type": "state.redis", "version": "v2",
       "metadata": {"redisHost": "localhost:6379", "keyPrefix": "none"}},
      {"name": "greeter", "type": "hello.helloworld", "metadata": {"hello": "hi"}}
    ]
  })");
  CHECK(config.source == "config.json");
  CHECK(config.app_id == "orders");
  REQUIRE(config.components.size() == 2);

  const ComponentSpec& state = config.components[0];
  CHECK(state.name == "statestore");
  CHECK(state.type == "state.redis");
  CHECK(state.version == "v2");
  CHECK(state.field == "components[0]");
  CHECK(state.metadata ==
        std::map<std::string, std::string>{{"redisHost", "localhost:6379"}, {"keyPrefix", "none"}});

  const ComponentSpec& hello = config.components[1];
  CHECK(hello.name == "greeter");
  CHECK(hello.type == "hello.helloworld");
  CHECK(hello.version == "v1");
  CHECK(hello.field == "components[1]");
  CHECK(hello.metadata.at("hello") == "hi");
}

TEST_CASE("absent fields take their defaults", "[config]") {
  SECTION("an empty object is an empty config") {
    HostConfig config = ParseOk("{}");
    CHECK(config.app_id.empty());
    CHECK(config.components.empty());
    CHECK(config.source == "config.json");
  }
  SECTION("an empty components array") {
    HostConfig config = ParseOk(R"({"app_id": "a", "components": []})");
    CHECK(config.app_id == "a");
    CHECK(config.components.empty());
  }
  SECTION("version and metadata") {
    HostConfig config = ParseOk(OneComponent(R"("name": "s", "type": "state.in-memory")"));
    REQUIRE(config.components.size() == 1);
    CHECK(config.components[0].version == "v1");
    CHECK(config.components[0].metadata.empty());
  }
  SECTION("an empty version is v1, as in Dapr component files") {
    HostConfig config =
        ParseOk(OneComponent(R"("name": "s", "type": "state.in-memory", "version": "")"));
    CHECK(config.components[0].version == "v1");
  }
}

TEST_CASE("metadata numbers and booleans are kept as their JSON text", "[config]") {
  HostConfig config = ParseOk(OneComponent(R"("name": "s", "type": "state.redis", "metadata": {
      "port": 6379, "negative": -7, "ratio": 1.5, "exponent": 1e3, "precise": 0.10,
      "huge": 18446744073709551616, "enabled": true, "disabled": false, "text": "6379"})"));
  const auto& metadata = config.components[0].metadata;
  CHECK(metadata.at("port") == "6379");
  CHECK(metadata.at("negative") == "-7");
  CHECK(metadata.at("ratio") == "1.5");
  CHECK(metadata.at("exponent") == "1e3");
  CHECK(metadata.at("precise") == "0.10");
  CHECK(metadata.at("huge") == "18446744073709551616");
  CHECK(metadata.at("enabled") == "true");
  CHECK(metadata.at("disabled") == "false");
  CHECK(metadata.at("text") == "6379");
  CHECK(metadata.size() == 9);
}

TEST_CASE("every known kind prefix is accepted, impls may contain dots", "[config]") {
  HostConfig config = ParseOk(R"({"components": [
      {"name": "a", "type": "state.x"}, {"name": "b", "type": "pubsub.x"},
      {"name": "c", "type": "bindings.x"}, {"name": "d", "type": "secretstores.local.env"},
      {"name": "e", "type": "configuration.x"}, {"name": "f", "type": "lock.x"},
      {"name": "g", "type": "sequencer.x"}, {"name": "h", "type": "hello.x"}]})");
  REQUIRE(config.components.size() == 8);
  CHECK(config.components[3].type == "secretstores.local.env");
  CHECK(config.components[7].field == "components[7]");
}

TEST_CASE("invalid JSON names the line and column", "[config]") {
  SECTION("a stray comma") {
    std::string message = ErrorOf("{\n  \"app_id\": \"x\",\n  \"components\": [,]\n}");
    CHECK_THAT(message, Catch::StartsWith("config.json: line 3, column 18: invalid JSON: "));
    CHECK_THAT(message, Catch::Contains("unexpected ','"));
    CHECK_THAT(message, !Catch::Contains("json.exception"));
    CHECK(Lines(message).size() == 1);
  }
  SECTION("a missing colon") {
    std::string message = ErrorOf("{\n  \"app_id\": \"x\",\n  \"c\" 1\n}");
    CHECK_THAT(message, Catch::StartsWith("config.json: line 3, column 7: invalid JSON: "));
  }
  SECTION("empty text") {
    CHECK_THAT(ErrorOf(""), Catch::StartsWith("config.json: line 1, column 1: invalid JSON: "));
  }
  SECTION("truncated text points past its end") {
    CHECK_THAT(ErrorOf("{\"app_id\":\n"),
               Catch::StartsWith("config.json: line 2, column 1: invalid JSON: "));
  }
  SECTION("columns count characters, not bytes") {
    CHECK_THAT(ErrorOf("{\"app_id\": \"\xC3\xA9\xC3\xA9\" x}"),
               Catch::StartsWith("config.json: line 1, column 17: invalid JSON: "));
  }
  SECTION("comments and trailing text are not JSON") {
    CHECK_THAT(ErrorOf("{} // nothing"), Catch::StartsWith("config.json: line 1, column 4: "));
    CHECK_THAT(ErrorOf("{}{}"), Catch::StartsWith("config.json: line 1, column 3: "));
  }
  SECTION("invalid UTF-8") {
    CHECK_THAT(ErrorOf("{\"app_id\": \"\xFF\"}"), Catch::Contains("invalid JSON"));
  }
}

TEST_CASE("the document must be an object", "[config]") {
  CHECK_THAT(ErrorOf("[]"), Catch::StartsWith("config.json: expected a JSON object"));
  CHECK_THAT(ErrorOf("[]"), Catch::EndsWith("got an array"));
  CHECK_THAT(ErrorOf("\"x\""), Catch::EndsWith("got a string"));
  CHECK_THAT(ErrorOf("null"), Catch::EndsWith("got null"));
}

TEST_CASE("unknown fields are errors that list the allowed ones", "[config]") {
  CHECK(
      ErrorOf(R"({"compnents": []})") ==
      R"(config.json: unknown field "compnents" (expected: app_id, components, processes, subscriptions, pubsub_inbound_policies))");
  CHECK(
      ErrorOf(OneComponent(R"("name": "s", "type": "state.x", "metdata": {})")) ==
      R"(config.json: components[0]: unknown field "metdata" (expected: name, type, version, metadata))");
}

TEST_CASE("app_id and components must have the right shape", "[config]") {
  CHECK(ErrorOf(R"({"app_id": 7})") == "config.json: app_id: expected a string, got a number");
  CHECK(ErrorOf(R"({"components": {"name": "s"}})") ==
        "config.json: components: expected an array of components, got an object");
  CHECK(ErrorOf(R"({"components": [{"name": "s", "type": "state.x"}, "state.y"]})") ==
        R"(config.json: components[1]: expected an object with "name" and "type", got a string)");
}

TEST_CASE("name is a required non-empty string", "[config]") {
  CHECK(ErrorOf(OneComponent(R"("type": "state.x")")) ==
        "config.json: components[0].name: required, a non-empty string");
  CHECK(ErrorOf(OneComponent(R"("name": "", "type": "state.x")")) ==
        R"(config.json: components[0].name: required, a non-empty string, got "")");
  CHECK(ErrorOf(OneComponent(R"("name": 3, "type": "state.x")")) ==
        "config.json: components[0].name: required, a non-empty string, got a number");
  // It travels in a gRPC header, where blanks and control characters do not survive.
  CHECK(
      ErrorOf(OneComponent(R"("name": "my store", "type": "state.x")")) ==
      R"(config.json: components[0].name: must not contain spaces or control characters, got "my store")");
  CHECK_THAT(ErrorOf(OneComponent(R"("name": "a\nb", "type": "state.x")")),
             Catch::EndsWith(R"(got "a\nb")"));
}

TEST_CASE("type is <kind>.<impl> with a known kind", "[config]") {
  CHECK(
      ErrorOf(R"({"components": [{"name": "a", "type": "state.x"},
                                    {"name": "b", "type": "redis"}]})") ==
      R"(config.json: components[1].type: expected "<kind>.<impl>" such as "state.redis", got "redis")");
  CHECK_THAT(ErrorOf(OneComponent(R"("name": "a", "type": "state.")")),
             Catch::EndsWith(R"(got "state.")"));
  CHECK_THAT(ErrorOf(OneComponent(R"("name": "a", "type": ".redis")")),
             Catch::EndsWith(R"(got ".redis")"));
  CHECK(
      ErrorOf(OneComponent(R"("name": "a")")) ==
      R"(config.json: components[0].type: required, a string "<kind>.<impl>" such as "state.redis")");
  CHECK(
      ErrorOf(OneComponent(R"("name": "a", "type": ["state.x"])")) ==
      R"(config.json: components[0].type: expected a string "<kind>.<impl>" such as "state.redis", got an array)");

  std::string unknown = ErrorOf(OneComponent(R"("name": "a", "type": "cache.redis")"));
  CHECK_THAT(unknown,
             Catch::StartsWith(
                 R"(config.json: components[0].type: unknown kind "cache" in "cache.redis")"));
  for (const char* known : {"state", "pubsub", "bindings", "secretstores", "configuration", "lock",
                            "sequencer", "hello"}) {
    CHECK_THAT(unknown, Catch::Contains(known));
  }
  CHECK_THAT(unknown,
             Catch::EndsWith("(known kinds: state, pubsub, bindings, secretstores, configuration, "
                             "lock, sequencer, hello)"));
}

TEST_CASE("version must be a string", "[config]") {
  CHECK(ErrorOf(OneComponent(R"("name": "a", "type": "state.x", "version": 1)")) ==
        R"(config.json: components[0].version: expected a string such as "v1", got a number)");
}

TEST_CASE("metadata is an object of scalars", "[config]") {
  CHECK(ErrorOf(OneComponent(R"("name": "a", "type": "state.x", "metadata": {"port": {}})")) ==
        "config.json: components[0].metadata.port: expected a string, number or boolean, got an "
        "object");
  CHECK(ErrorOf(OneComponent(R"("name": "a", "type": "state.x", "metadata": {"hosts": ["a"]})")) ==
        "config.json: components[0].metadata.hosts: expected a string, number or boolean, got an "
        "array");
  CHECK(
      ErrorOf(OneComponent(R"("name": "a", "type": "state.x", "metadata": {"password": null})")) ==
      "config.json: components[0].metadata.password: expected a string, number or boolean, got "
      "null");
  CHECK(
      ErrorOf(OneComponent(R"("name": "a", "type": "state.x", "metadata": ["port", 1])")) ==
      "config.json: components[0].metadata: expected an object of name/value pairs, got an array");
  CHECK(ErrorOf(OneComponent(R"("name": "a", "type": "state.x", "metadata": {"": "x"})")) ==
        "config.json: components[0].metadata: field names must be non-empty");
  // A nested value is one error, whatever it holds.
  CHECK(ErrorOf(OneComponent(
            R"("name": "a", "type": "state.x", "metadata": {"k": [[{"x": 1.5, "x": 2}]]})")) ==
        "config.json: components[0].metadata.k: expected a string, number or boolean, got an "
        "array");
}

TEST_CASE("component names are unique", "[config]") {
  CHECK(ErrorOf(R"({"components": [
      {"name": "statestore", "type": "state.in-memory"},
      {"name": "cache", "type": "state.redis"},
      {"name": "statestore", "type": "state.redis"}]})") ==
        R"(config.json: components[2].name: "statestore" is already used by components[0])");
}

TEST_CASE("a repeated JSON key is an error, not a silent overwrite", "[config]") {
  CHECK(ErrorOf(R"({"app_id": "a", "app_id": "b"})") ==
        R"(config.json: field "app_id" appears more than once)");
  CHECK(ErrorOf(R"({"components": [{"name": "a", "type": "state.x", "name": "b"}]})") ==
        R"(config.json: components[0]: field "name" appears more than once)");
  CHECK(ErrorOf(OneComponent(R"("name": "a", "type": "state.x", "metadata": {"k": 1, "k": 2})")) ==
        R"(config.json: components[0].metadata: field "k" appears more than once)");
}

TEST_CASE("every error is reported, one complete message per line", "[config]") {
  std::string message = ErrorOf(R"({
    "app_id": 1,
    "extra": true,
    "components": [
      {"name": "a", "type": "redis"},
      {"type": "state.x", "metadata": {"port": null}},
      {"name": "a", "type": "state.x", "version": 2}
    ]})");
  std::vector<std::string> lines = Lines(message);
  REQUIRE(lines.size() == 7);
  for (const auto& line : lines) CHECK_THAT(line, Catch::StartsWith("config.json: "));
  CHECK_THAT(message, Catch::Contains(R"(unknown field "extra")"));
  CHECK_THAT(message, Catch::Contains("config.json: app_id: expected a string, got a number"));
  CHECK_THAT(message, Catch::Contains(R"(components[0].type: expected "<kind>.<impl>")"));
  CHECK_THAT(message, Catch::Contains("components[1].name: required, a non-empty string"));
  CHECK_THAT(message, Catch::Contains("components[1].metadata.port: expected a string"));
  CHECK_THAT(message, Catch::Contains("components[2].version: expected a string"));
  // A component with other errors still claims its name.
  CHECK_THAT(message,
             Catch::Contains(R"(components[2].name: "a" is already used by components[0])"));
}

TEST_CASE("hostile input gives an error, never an exception or a crash", "[config]") {
  std::string deep(100000, '[');
  CHECK_NOTHROW(ParseHostConfig(deep, kSource));
  CHECK_FALSE(ParseHostConfig(deep, kSource).ok());

  std::string deep_valid = std::string(20000, '[') + std::string(20000, ']');
  CHECK_THAT(ErrorOf(deep_valid), Catch::EndsWith("nested deeper than 1000 levels"));
  std::string shallow_valid = std::string(900, '[') + std::string(900, ']');
  CHECK_THAT(ErrorOf(shallow_valid), Catch::EndsWith("got an array"));

  std::string binary("\x00\x01{\"\xFE", 5);
  CHECK_NOTHROW(ParseHostConfig(binary, kSource));
  CHECK_FALSE(ParseHostConfig(binary, kSource).ok());

  // An escaped NUL is valid JSON; the value keeps it rather than being cut short.
  HostConfig config =
      ParseOk(OneComponent(R"("name": "a", "type": "state.x", "metadata": {"k": "a\u0000b"})"));
  CHECK(config.components[0].metadata.at("k") == std::string("a\0b", 3));
}

TEST_CASE("LoadHostConfig reads a file and names it in errors", "[config]") {
  TempDir dir;
  SECTION("a missing file names the path and the reason") {
    std::string path = dir.path() + "/no-such-config.json";
    auto config = LoadHostConfig(path);
    REQUIRE_FALSE(config.ok());
    CHECK(config.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(config.status().message() ==
          "cannot read config file " + path + ": No such file or directory");
  }
  SECTION("a directory is not a config file") {
    auto config = LoadHostConfig(dir.path());
    REQUIRE_FALSE(config.ok());
    CHECK(config.status().message() ==
          "cannot read config file " + dir.path() + ": Is a directory");
  }
  SECTION("a good file parses with the path as its source") {
    std::string path = dir.Write("good.json", R"({"app_id": "x",
        "components": [{"name": "s", "type": "state.in-memory"}]})");
    auto config = LoadHostConfig(path);
    INFO(config.status().message());
    REQUIRE(config.ok());
    CHECK(config->source == path);
    CHECK(config->app_id == "x");
    REQUIRE(config->components.size() == 1);
    CHECK(config->components[0].name == "s");
  }
  SECTION("a bad file's errors start with its path") {
    std::string path = dir.Write("bad.json", "{\n\"components\": [{\"name\": \"s\"}]}");
    auto config = LoadHostConfig(path);
    REQUIRE_FALSE(config.ok());
    CHECK(std::string(config.status().message()) ==
          path +
              R"(: components[0].type: required, a string "<kind>.<impl>" such as "state.redis")");
  }
}

TEST_CASE("embedded defaults: one built-in instance per built-in kind", "[config]") {
  HostConfig config = EmbeddedDefaults();
  CHECK(config.source == "embedded defaults");
  CHECK(config.app_id.empty());
  REQUIRE(config.components.size() >= 2);
  CHECK(config.components[0].name == "statestore");
  CHECK(config.components[0].type == "state.in-memory");
  CHECK(config.components[1].name == "helloworld");
  CHECK(config.components[1].type == "hello.helloworld");
  for (size_t i = 0; i < config.components.size(); ++i) {
    const ComponentSpec& spec = config.components[i];
    CHECK(spec.version == "v1");
    CHECK(spec.field == "components[" + std::to_string(i) + "]");
    std::string prefix, impl;
    REQUIRE(SplitType(spec.type, &prefix, &impl));
    CHECK_FALSE(KindsForPrefix(prefix).empty());
    // The default secret store must not show the whole host environment.
    if (spec.type == "secretstores.local.env") {
      CHECK(spec.metadata.at("prefix") == "PLUGHOST_SECRET_");
    }
  }
}

}  // namespace
TEST_CASE("subscriptions and pubsub_inbound_policies: Dapr's fields in the JSON config",
          "[config]") {
  auto config = ParseOk(R"({"subscriptions": [
      {"name": "orders", "pubsubname": "pubsub", "topic": "orders",
       "routes": {"rules": [{"match": "event.type == 'a'", "path": "/a"}], "default": "/all"},
       "deadLetterTopic": "dead", "metadata": {"rawPayload": "true"},
       "bulkSubscribe": {"enabled": true, "maxMessagesCount": 10, "maxAwaitDurationMs": 50}}],
    "pubsub_inbound_policies": {"pubsub": {"timeout": "1m30s",
      "retry": {"policy": "exponential", "maxInterval": 2000, "maxRetries": 3}}}})");
  REQUIRE(config.subscriptions.size() == 1);
  const auto& spec = config.subscriptions[0];
  CHECK(spec.topic == "orders");
  REQUIRE(spec.rules.size() == 2);
  CHECK(spec.rules[0].path == "/a");
  CHECK(spec.rules[0].match == "event.type == 'a'");
  CHECK(spec.rules[1].match.empty());
  CHECK(spec.rules[1].path == "/all");
  CHECK(spec.dead_letter_topic == "dead");
  CHECK(spec.metadata.at("rawPayload") == "true");
  CHECK(spec.bulk.enabled);
  CHECK(spec.bulk.max_messages_count == 10);
  CHECK(spec.bulk.max_await_duration == std::chrono::milliseconds(50));
  const auto& policy = config.pubsub_inbound_policies.at("pubsub");
  CHECK(policy.timeout == std::chrono::milliseconds(90000));
  REQUIRE(policy.retry);
  CHECK(policy.retry->policy == RetryPolicySpec::Policy::kExponential);
  CHECK(policy.retry->max_interval == std::chrono::milliseconds(2000));
  CHECK(policy.retry->max_retries == 3);

  CHECK(ErrorOf(R"({"pubsub_inbound_policies": {"p": {"timeout": "soon"}}})") ==
        "config.json: pubsub_inbound_policies.p.timeout: expected a duration such as \"5s\"");
  CHECK(ErrorOf(R"({"subscriptions": [{"pubsubname": "p"}]})") ==
        "config.json: subscriptions[0].topic: required");
}

}  // namespace plughost

namespace plughost {
namespace {

TEST_CASE("processes parse with their defaults", "[config][processes]") {
  HostConfig config = ParseOk(R"({
    "processes": [
      {"name": "redis-store", "command": ["./store", "--socket", "{socket}"],
       "env": {"LOG": "debug", "SOCK": "{socket}"}, "workdir": "/srv", "restart": "on-failure"},
      {"name": "minimal", "command": ["minimal"]}
    ]
  })");
  REQUIRE(config.processes.size() == 2);
  const ProcessSpec& store = config.processes[0];
  CHECK(store.name == "redis-store");
  CHECK(store.command == std::vector<std::string>{"./store", "--socket", "{socket}"});
  CHECK(store.env == std::map<std::string, std::string>{{"LOG", "debug"}, {"SOCK", "{socket}"}});
  CHECK(store.workdir == "/srv");
  CHECK(store.restart == ProcessSpec::Restart::kOnFailure);
  CHECK(store.field == "processes[0]");
  CHECK(config.processes[1].restart == ProcessSpec::Restart::kAlways);
  CHECK(config.processes[1].workdir.empty());
}

TEST_CASE("process errors name the field", "[config][processes]") {
  std::string error = ErrorOf(R"({
    "processes": [
      {"name": "a/b", "command": [], "restart": "sometimes", "user": "root"},
      {"name": "ok", "command": ["x", 3], "env": {"N": 1}, "workdir": 7},
      {"command": ["y"]},
      {"name": "ok", "command": ["z"], "env": {"N": "1", "N": "2"}},
      "not an object"
    ]
  })");
  INFO(error);
  CHECK(error.find("config.json: processes[0]: unknown field \"user\"") != std::string::npos);
  CHECK(error.find("config.json: processes[0].name: must be usable as a socket file name") !=
        std::string::npos);
  CHECK(error.find("config.json: processes[0].command: required, a non-empty array") !=
        std::string::npos);
  CHECK(error.find("config.json: processes[0].restart: expected \"always\", \"on-failure\" or "
                   "\"never\", got \"sometimes\"") != std::string::npos);
  CHECK(error.find("config.json: processes[1].command[1]: expected a string, got a number") !=
        std::string::npos);
  CHECK(error.find("config.json: processes[1].env.N: expected a string, got a number") !=
        std::string::npos);
  CHECK(error.find("config.json: processes[1].workdir: expected a string, got a number") !=
        std::string::npos);
  CHECK(error.find("config.json: processes[2].name: required, a non-empty string") !=
        std::string::npos);
  CHECK(error.find("config.json: processes[3].name: \"ok\" is already used by processes[1]") ==
        std::string::npos);  // processes[1] was invalid, so it never took the name
  CHECK(error.find("config.json: processes[3].env: field \"N\" appears more than once") !=
        std::string::npos);
  CHECK(error.find("config.json: processes[4]: expected an object") != std::string::npos);
}

TEST_CASE("two processes with one name are refused", "[config][processes]") {
  std::string error = ErrorOf(R"({"processes": [{"name": "p", "command": ["a"]},
                                                {"name": "p", "command": ["b"]}]})");
  CHECK(error == "config.json: processes[1].name: \"p\" is already used by processes[0]");
}

TEST_CASE("ParseProcessSpec reports problems without a source", "[config][processes]") {
  auto spec =
      ParseProcessSpec(nlohmann::json::parse(R"({"name": "", "command": ["a"]})"), "procs.yaml[2]");
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.status().message() == "procs.yaml[2].name: required, a non-empty string, got \"\"");
  auto good = ParseProcessSpec(nlohmann::json::parse(R"({"name": "n", "command": ["a"]})"),
                               "procs.yaml[0]");
  REQUIRE(good.ok());
  CHECK(good->field == "procs.yaml[0]");
}

TEST_CASE("processes must be an array", "[config][processes]") {
  CHECK(ErrorOf(R"({"processes": {}})") ==
        "config.json: processes: expected an array of processes, got an object");
}

}  // namespace

TEST_CASE("a config nested deeper than any real one is refused, not walked", "[config]") {
  std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  CHECK(ErrorOf(deep) == "config.json: invalid JSON: nested deeper than 1000 levels");
  std::string metadata = OneComponent(R"("name":"s","type":"state.in-memory","metadata":{"k":)" +
                                      std::string(5'000, '[') + std::string(5'000, ']') + "}");
  CHECK_THAT(ErrorOf(metadata), Catch::Contains("nested deeper than"));
}

}  // namespace plughost
