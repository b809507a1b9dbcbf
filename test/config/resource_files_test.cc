// Dapr resource files (YAML) read into the host's configuration: every kind the host reads,
// scopes, and an error naming file, document and field for each kind of mistake.
#include "host/config/resource_files.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "host/runtime/component_metadata.h"

namespace plughost {
namespace {

constexpr char kFile[] = "res/a.yaml";

HostConfig ParseOk(const std::string& text, const std::string& app_id = "myapp") {
  HostConfig config;
  auto status = ParseResourceFile(text, kFile, app_id, &config);
  INFO(status.message());
  REQUIRE(status.ok());
  return config;
}

std::string ErrorOf(const std::string& text, HostConfig config = {}) {
  auto status = ParseResourceFile(text, kFile, "myapp", &config);
  REQUIRE_FALSE(status.ok());
  return std::string(status.message());
}

constexpr char kComponents[] = R"(
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.redis
  version: v1
  initTimeout: 1m30s
  ignoreErrors: true
  metadata:
  - name: redisHost
    value: localhost:6379
  - name: maxRetries
    value: 3
  - name: enableTLS
    value: false
  - name: options
    value: {a: 1}
  - name: redisPassword
    secretKeyRef:
      name: redis
      key: password
auth:
  secretStore: localsecrets
scopes: [myapp, other]
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: elsewhere}
spec: {type: state.in-memory}
scopes: [other]
---
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: mine}
spec: {type: state.my-socket, version: ""}
---
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata: {name: tracing}
spec: {}
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: auth}
spec: {type: middleware.http.oauth2}
)";

}  // namespace

TEST_CASE("resource files: components with metadata, secrets, timeouts and scopes") {
  HostConfig config = ParseOk(kComponents);
  REQUIRE(config.components.size() == 2);  // "elsewhere" is scoped out, middleware is skipped
  const ComponentSpec& redis = config.components[0];
  CHECK(redis.name == "statestore");
  CHECK(redis.type == "state.redis");
  CHECK(redis.version == "v1");
  CHECK(redis.source == kFile);
  CHECK(redis.field == "document 0");
  CHECK(redis.init_timeout == std::chrono::milliseconds(90000));
  CHECK(redis.ignore_errors);
  CHECK(redis.metadata.at("redisHost") == "localhost:6379");
  CHECK(redis.metadata.at("maxRetries") == "3");
  CHECK(redis.metadata.at("enableTLS") == "false");
  CHECK(redis.metadata.at("options") == R"({"a":1})");
  REQUIRE(redis.secret_refs.count("redisPassword"));
  CHECK(redis.secret_refs.at("redisPassword").store == "localsecrets");
  CHECK(redis.secret_refs.at("redisPassword").name == "redis");
  CHECK(redis.secret_refs.at("redisPassword").key == "password");
  CHECK(config.components[1].name == "mine");
  CHECK(config.components[1].type == "state.my-socket");  // a pluggable component's type
  CHECK(config.components[1].version == "v1");
  CHECK_FALSE(config.components[1].init_timeout.has_value());

  HostConfig other = ParseOk(kComponents, "other");
  CHECK(other.components.size() == 3);
}

TEST_CASE("resource files: subscriptions v1alpha1 and v2alpha1") {
  HostConfig config = ParseOk(R"(
apiVersion: dapr.io/v1alpha1
kind: Subscription
metadata: {name: orders}
spec:
  pubsubname: pubsub
  topic: orders
  route: /orders
  deadLetterTopic: poison
  metadata: {rawPayload: "true"}
  bulkSubscribe: {enabled: true, maxMessagesCount: 50, maxAwaitDurationMs: 40}
---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata: {name: routed}
spec:
  pubsubname: pubsub
  topic: prices
  routes:
    rules:
    - {match: 'event.type == "a"', path: /a}
    default: /other
scopes: [myapp]
---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata: {name: not-mine}
spec: {pubsubname: pubsub, topic: x, routes: {default: /x}}
scopes: [other]
)");
  REQUIRE(config.subscriptions.size() == 2);
  const SubscriptionSpec& orders = config.subscriptions[0];
  CHECK(orders.pubsub_name == "pubsub");
  CHECK(orders.topic == "orders");
  REQUIRE(orders.rules.size() == 1);
  CHECK(orders.rules[0].match.empty());
  CHECK(orders.rules[0].path == "/orders");
  CHECK(orders.dead_letter_topic == "poison");
  CHECK(orders.metadata.at("rawPayload") == "true");
  CHECK(orders.bulk.enabled);
  CHECK(orders.bulk.max_messages_count == 50);
  CHECK(orders.bulk.max_await_duration == std::chrono::milliseconds(40));
  const SubscriptionSpec& routed = config.subscriptions[1];
  REQUIRE(routed.rules.size() == 2);
  CHECK(routed.rules[0].match == R"(event.type == "a")");
  CHECK(routed.rules[0].path == "/a");
  CHECK(routed.rules[1].path == "/other");
}

TEST_CASE("resource files: Resiliency's pubsub inbound policies") {
  HostConfig config = ParseOk(R"(
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata: {name: res}
spec:
  policies:
    timeouts: {short: 3s}
    retries:
      three: {policy: constant, duration: 200ms, maxRetries: 3}
      DefaultPubsubComponentInboundRetryPolicy: {policy: exponential, maxInterval: 10s}
  targets:
    components:
      pubsub:
        inbound: {timeout: short, retry: three}
)");
  REQUIRE(config.pubsub_inbound_policies.count("pubsub"));
  const DeliveryPolicySpec& pubsub = config.pubsub_inbound_policies.at("pubsub");
  CHECK(pubsub.timeout == std::chrono::milliseconds(3000));
  REQUIRE(pubsub.retry.has_value());
  CHECK(pubsub.retry->duration == std::chrono::milliseconds(200));
  CHECK(pubsub.retry->max_retries == 3);
  REQUIRE(config.pubsub_inbound_policies.count(""));
  CHECK(config.pubsub_inbound_policies.at("").retry->policy ==
        RetryPolicySpec::Policy::kExponential);
  CHECK(config.pubsub_inbound_policies.at("").retry->max_interval ==
        std::chrono::milliseconds(10000));
  // GetMetadata lists the document by name.
  CHECK(config.resiliency_names == std::vector<std::string>{"res"});
}

TEST_CASE("resource files: daprd's default policy names, most specific level first") {
  // Each of retry, timeout and breaker is looked up on its own, from
  // DefaultPubsubComponentInbound… through DefaultComponentInbound… and DefaultComponent… to
  // Default…; a pubsub with its own target takes only what its target names.
  HostConfig config = ParseOk(R"(
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata: {name: res}
spec:
  policies:
    timeouts:
      DefaultTimeoutPolicy: 7s
      DefaultComponentOutboundTimeoutPolicy: 1s
    retries:
      DefaultRetryPolicy: {policy: constant, duration: 1s, maxRetries: 1}
      DefaultComponentRetryPolicy: {policy: constant, duration: 2s, maxRetries: 2}
      DefaultComponentOutboundRetryPolicy: {policy: constant, duration: 9s, maxRetries: 9}
      three: {policy: constant, duration: 3s, maxRetries: 3}
    circuitBreakers:
      DefaultCircuitBreakerPolicy: {timeout: 11s}
      DefaultComponentInboundCircuitBreakerPolicy: {timeout: 12s}
  targets:
    components:
      named:
        inbound: {retry: three}
)");
  REQUIRE(config.pubsub_inbound_policies.count(""));
  const DeliveryPolicySpec& fallback = config.pubsub_inbound_policies.at("");
  REQUIRE(fallback.retry.has_value());
  CHECK(fallback.retry->max_retries == 2);  // Component beats the top level; Outbound is not ours
  CHECK(fallback.timeout == std::chrono::milliseconds(7000));  // only the top level fits
  REQUIRE(fallback.circuit_breaker.has_value());
  CHECK(fallback.circuit_breaker->timeout == std::chrono::milliseconds(12000));
  const DeliveryPolicySpec& named = config.pubsub_inbound_policies.at("named");
  REQUIRE(named.retry.has_value());
  CHECK(named.retry->max_retries == 3);
  CHECK_FALSE(named.timeout.has_value());
  CHECK_FALSE(named.circuit_breaker.has_value());
}

TEST_CASE("resource files: Resiliency's circuit breakers and retry matching") {
  HostConfig config = ParseOk(R"(
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata: {name: res}
spec:
  policies:
    retries:
      matched:
        policy: constant
        duration: 1s
        matching: {gRPCStatusCodes: "1-4", httpStatusCodes: "500-599"}
    circuitBreakers:
      simpleCB: {maxRequests: 2, interval: 30s, timeout: 5s, trip: consecutiveFailures >= 3}
      DefaultPubsubComponentInboundCircuitBreakerPolicy: {timeout: 1m}
  targets:
    components:
      pubsub:
        inbound: {retry: matched, circuitBreaker: simpleCB}
)");
  // `matching` no longer skips the document: it does not apply to pubsub deliveries.
  REQUIRE(config.pubsub_inbound_policies.count("pubsub"));
  const DeliveryPolicySpec& pubsub = config.pubsub_inbound_policies.at("pubsub");
  REQUIRE(pubsub.retry.has_value());
  CHECK(pubsub.retry->duration == std::chrono::milliseconds(1000));
  REQUIRE(pubsub.circuit_breaker.has_value());
  CHECK(pubsub.circuit_breaker->name == "simpleCB");
  CHECK(pubsub.circuit_breaker->max_requests == 2);
  CHECK(pubsub.circuit_breaker->interval == std::chrono::milliseconds(30000));
  CHECK(pubsub.circuit_breaker->timeout == std::chrono::milliseconds(5000));
  CHECK(pubsub.circuit_breaker->trip == "consecutiveFailures >= 3");
  REQUIRE(config.pubsub_inbound_policies.count(""));
  const auto& fallback = config.pubsub_inbound_policies.at("").circuit_breaker;
  REQUIRE(fallback.has_value());
  CHECK(fallback->timeout == std::chrono::milliseconds(60000));
  CHECK(fallback->trip == "consecutiveFailures > 5");  // daprd's default
  CHECK(fallback->max_requests == 1);
}

TEST_CASE("resource files: Resiliency's component outbound policies and their defaults") {
  HostConfig config = ParseOk(R"(
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata: {name: res}
spec:
  policies:
    timeouts:
      short: 2s
      DefaultTimeoutPolicy: 9s
    retries:
      three: {policy: constant, duration: 100ms, maxRetries: 3}
      DefaultStatestoreComponentOutboundRetryPolicy: {policy: constant, duration: 1s, maxRetries: 1}
      DefaultComponentOutboundRetryPolicy: {policy: constant, duration: 2s, maxRetries: 2}
      DefaultComponentInboundRetryPolicy: {policy: constant, duration: 4s, maxRetries: 4}
    circuitBreakers:
      cb: {trip: consecutiveFailures > 2}
  targets:
    components:
      statestore:
        outbound: {timeout: short, retry: three, circuitBreaker: cb}
      pubsub:
        inbound: {retry: three}
)");
  const OutboundPolicies& outbound = config.outbound_policies;
  REQUIRE(outbound.by_component.count("statestore"));
  const DeliveryPolicySpec& store = outbound.by_component.at("statestore");
  CHECK(store.timeout == std::chrono::milliseconds(2000));
  REQUIRE(store.retry.has_value());
  CHECK(store.retry->max_retries == 3);
  REQUIRE(store.circuit_breaker.has_value());
  CHECK(store.circuit_breaker->trip == "consecutiveFailures > 2");
  // A component with only an inbound target gets no default outbound policy, as in daprd.
  REQUIRE(outbound.by_component.count("pubsub"));
  CHECK_FALSE(outbound.by_component.at("pubsub").retry.has_value());
  // Defaults, each looked up from the type's own level to the top.
  REQUIRE(outbound.defaults_by_type.count("Statestore"));
  CHECK(outbound.defaults_by_type.at("Statestore").retry->max_retries == 1);
  CHECK(outbound.defaults_by_type.at("Statestore").timeout == std::chrono::milliseconds(9000));
  REQUIRE(outbound.defaults_by_type.count("Lock"));
  CHECK(outbound.defaults_by_type.at("Lock").retry->max_retries == 2);
  CHECK_FALSE(outbound.defaults_by_type.at("Lock").circuit_breaker.has_value());
}

TEST_CASE("resource files: a Resiliency target naming an unknown policy names the field") {
  constexpr char kHead[] = R"(
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata: {name: res}
spec:
  policies:
    retries:
      three: {policy: constant, duration: 100ms, maxRetries: 3}
  targets:
    components:
)";
  CHECK(ErrorOf(std::string(kHead) + "      statestore:\n        outbound: {retry: four}\n") ==
        "res/a.yaml: document 0: spec.targets.components.statestore.outbound.retry: names no "
        "policy of spec.policies.retries (\"four\")");
  CHECK(ErrorOf(std::string(kHead) + "      pubsub:\n        inbound: {timeout: short}\n") ==
        "res/a.yaml: document 0: spec.targets.components.pubsub.inbound.timeout: names no "
        "policy of spec.policies.timeouts (\"short\")");
  CHECK_THAT(ErrorOf(std::string(kHead) +
                     "      lock:\n        outbound: {retry: three, circuitBreaker: cb}\n"),
             Catch::Contains("spec.targets.components.lock.outbound.circuitBreaker: names no "
                             "policy of spec.policies.circuitBreakers (\"cb\")"));
}

TEST_CASE("resource files: each error names file, document and field") {
  CHECK_THAT(ErrorOf("kind: Component\napiVersion: dapr.io/v1alpha1\nmetadata: {name: [x]\n"),
             Catch::StartsWith("res/a.yaml: line ") && Catch::Contains("invalid YAML"));
  CHECK(ErrorOf("apiVersion: dapr.io/v1alpha1\nkind: Component\nspec: {type: state.x}\n") ==
        "res/a.yaml: document 0: metadata.name: required, a non-empty string");
  CHECK(ErrorOf("---\nkind: Component\napiVersion: dapr.io/v1alpha1\nmetadata: {name: a}\n"
                "spec: {type: redis}\n") ==
        "res/a.yaml: document 0: spec.type: expected \"<kind>.<name>\" such as \"state.redis\", "
        "got \"redis\"");
  CHECK_THAT(ErrorOf("apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: a}\n"
                     "spec: {type: state.x}\n---\napiVersion: dapr.io/v1alpha1\nkind: Component\n"
                     "metadata: {name: b}\nspec:\n  type: state.x\n  metadata:\n  - name: p\n"
                     "    secretKeyRef: {key: k}\n"),
             Catch::Contains("res/a.yaml: document 1: spec.metadata[0].secretKeyRef.name: "
                             "required"));
  CHECK_THAT(ErrorOf("apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: a}\n"
                     "spec:\n  type: state.x\n  metadata:\n  - name: p\n"
                     "    secretKeyRef: {name: s}\n"),
             Catch::Contains("document 0: spec.metadata[0].secretKeyRef: needs auth.secretStore"));
  CHECK_THAT(ErrorOf("apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: a}\n"
                     "spec: {type: state.x, initTimeout: soon}\n"),
             Catch::Contains("document 0: spec.initTimeout: expected a duration"));
  CHECK_THAT(ErrorOf("apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: a}\n"
                     "spec: {type: state.x, ignoreErrors: maybe}\n"),
             Catch::Contains("document 0: spec.ignoreErrors: expected true or false"));
  CHECK_THAT(ErrorOf("apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: a}\n"
                     "spec: {type: state.x}\nscopes: app1\n"),
             Catch::Contains("document 0: scopes: expected a list of app ids"));
  CHECK_THAT(ErrorOf("apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata: {name: s}\n"
                     "spec: {pubsubname: p, routes: {default: /x}}\n"),
             Catch::Contains("document 0: spec.topic: required"));
  CHECK_THAT(ErrorOf("apiVersion: dapr.io/v1alpha1\nkind: Subscription\nmetadata: {name: s}\n"
                     "spec: {pubsubname: p, topic: t}\n"),
             Catch::Contains("document 0: spec.route: required"));
  CHECK_THAT(ErrorOf("apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata: {name: s}\n"
                     "spec: {pubsubname: p, topic: t, routes: {rules: [{path: /a}]}}\n"),
             Catch::Contains("document 0: spec.routes.rules[0].match: required"));
  CHECK_THAT(ErrorOf("apiVersion: dapr.io/v9\nkind: Component\nmetadata: {name: a}\n"
                     "spec: {type: state.x}\n"),
             Catch::Contains("document 0: apiVersion: expected dapr.io/v1alpha1"));
  CHECK_THAT(ErrorOf("- just\n- a list\n"), Catch::Contains("document 0: expected a mapping"));
}

TEST_CASE("resource files: a name defined twice names both places") {
  HostConfig config;
  config.source = "host.json";
  ComponentSpec json;
  json.name = "statestore";
  json.type = "state.in-memory";
  json.field = "components[0]";
  config.components.push_back(json);
  CHECK_THAT(ErrorOf("apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: statestore}\n"
                     "spec: {type: state.x}\n",
                     config),
             Catch::Contains("res/a.yaml: document 0: metadata.name: component \"statestore\" is "
                             "already defined in host.json (components[0])"));
  HostConfig from_files;
  REQUIRE(ParseResourceFile("apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: x}\n"
                            "spec: {type: state.x}\n",
                            "res/first.yaml", "", &from_files)
              .ok());
  CHECK_THAT(ErrorOf("apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: x}\n"
                     "spec: {type: state.y}\n",
                     from_files),
             Catch::Contains("already defined in res/first.yaml (document 0)"));
}

constexpr char kProcess[] = R"(
apiVersion: plughost.io/v1alpha1
kind: Process
metadata:
  name: redis
spec:
  command: [./redis-component, --socket, "{socket}", 10, true]
  env:
    REDIS_URL: localhost:6379
    DEBUG: true
  workdir: /opt/components
  restart: on-failure
---
apiVersion: plughost.io/v1alpha1
kind: Process
metadata: {name: minimal}
spec: {command: [sleep, "60"]}
)";

TEST_CASE("resource files: kind Process is the JSON config's processes entry") {
  HostConfig config = ParseOk(kProcess);
  REQUIRE(config.processes.size() == 2);
  const ProcessSpec& redis = config.processes[0];
  CHECK(redis.name == "redis");
  // Arguments and values stay the text they were written as, even when YAML reads a number.
  CHECK(redis.command ==
        std::vector<std::string>{"./redis-component", "--socket", "{socket}", "10", "true"});
  CHECK(redis.env ==
        std::map<std::string, std::string>{{"REDIS_URL", "localhost:6379"}, {"DEBUG", "true"}});
  CHECK(redis.workdir == "/opt/components");
  CHECK(redis.restart == ProcessSpec::Restart::kOnFailure);
  CHECK(redis.field == "res/a.yaml[0]");
  CHECK(config.processes[1].restart == ProcessSpec::Restart::kAlways);
  CHECK(config.processes[1].workdir.empty());
  CHECK(config.processes[1].env.empty());
  // Scoped to another app: not launched by this one.
  CHECK(ParseOk("apiVersion: plughost.io/v1alpha1\nkind: Process\nmetadata: {name: p}\n"
                "spec: {command: [x]}\nscopes: [other]\n")
            .processes.empty());
}

TEST_CASE("resource files: a Process's errors name file, document and field") {
  const std::string head = "apiVersion: plughost.io/v1alpha1\nkind: Process\n";
  CHECK(ErrorOf(head + "metadata: {name: p}\nspec: {env: {A: b}}\n") ==
        "res/a.yaml: document 0: spec.command: required, a non-empty array of strings such as "
        "[\"./my-component\", \"--socket\", \"{socket}\"]");
  CHECK_THAT(ErrorOf(head + "spec: {command: [x]}\n"),
             Catch::Contains("res/a.yaml: document 0: metadata.name: required"));
  CHECK_THAT(ErrorOf(head + "metadata: {name: p}\nspec: {command: [x], restart: sometimes}\n"),
             Catch::Contains("document 0: spec.restart: expected \"always\", \"on-failure\" or "
                             "\"never\", got \"sometimes\""));
  CHECK_THAT(ErrorOf(head + "metadata: {name: p}\nspec: {command: [x, [y]]}\n"),
             Catch::Contains("document 0: spec.command[1]: expected a string"));
  CHECK_THAT(ErrorOf(head + "metadata: {name: p}\nspec: {command: [x], env: [A]}\n"),
             Catch::Contains("document 0: spec.env: expected an object"));
  CHECK_THAT(ErrorOf(head + "metadata: {name: p}\nspec: {command: [x], workdir: [a]}\n"),
             Catch::Contains("document 0: spec.workdir: expected a string"));
  CHECK_THAT(ErrorOf(head + "metadata: {name: p}\nspec: {command: [x], args: [y]}\n"),
             Catch::Contains("document 0: spec: unknown field \"args\""));
  CHECK_THAT(ErrorOf(head + "metadata: {name: p}\n"),
             Catch::Contains("document 0: spec: required"));
  CHECK_THAT(ErrorOf("apiVersion: dapr.io/v1alpha1\nkind: Process\nmetadata: {name: p}\n"
                     "spec: {command: [x]}\n"),
             Catch::Contains("document 0: apiVersion: expected plughost.io/v1alpha1, got "
                             "\"dapr.io/v1alpha1\""));
  // The second document's problem carries its own index.
  CHECK_THAT(ErrorOf(head + "metadata: {name: p}\nspec: {command: [x]}\n---\n" + head +
                     "metadata: {name: q}\nspec: {command: []}\n"),
             Catch::Contains("res/a.yaml: document 1: spec.command: required"));
}

TEST_CASE("resource files: a process name declared twice names both places") {
  HostConfig config;
  config.source = "host.json";
  ProcessSpec json;
  json.name = "redis";
  json.command = {"x"};
  json.field = "processes[0]";
  config.processes.push_back(json);
  const std::string doc =
      "apiVersion: plughost.io/v1alpha1\nkind: Process\n"
      "metadata: {name: redis}\nspec: {command: [y]}\n";
  CHECK_THAT(ErrorOf(doc, config),
             Catch::Contains("res/a.yaml: document 0: metadata.name: process \"redis\" is "
                             "already defined in host.json (processes[0])"));
  HostConfig from_files;
  REQUIRE(ParseResourceFile(doc, "res/first.yaml", "", &from_files).ok());
  CHECK_THAT(ErrorOf(doc, from_files), Catch::Contains("already defined in res/first.yaml[0]"));
}

TEST_CASE("resource files: envRef reads the host's environment, with daprd's refusals") {
  ::setenv("RESOURCE_TEST_HOST", "db.local", 1);
  HostConfig config = ParseOk(
      "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: a}\n"
      "spec:\n  type: state.x\n  metadata:\n  - name: host\n    envRef: RESOURCE_TEST_HOST\n");
  CHECK(config.components.at(0).metadata.at("host") == "db.local");
  CHECK_THAT(ErrorOf("apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: a}\n"
                     "spec:\n  type: state.x\n  metadata:\n  - name: t\n"
                     "    envRef: DAPR_API_TOKEN\n"),
             Catch::Contains("document 0: spec.metadata[0].envRef: \"DAPR_API_TOKEN\" may not be "
                             "read"));
}

TEST_CASE("Go durations as Dapr's files write them") {
  std::chrono::milliseconds ms;
  REQUIRE(ParseGoDuration("5s", &ms));
  CHECK(ms.count() == 5000);
  REQUIRE(ParseGoDuration("1h2m3s500ms", &ms));
  CHECK(ms.count() == 3723500);
  REQUIRE(ParseGoDuration("1.5s", &ms));
  CHECK(ms.count() == 1500);
  CHECK_FALSE(ParseGoDuration("5", &ms));
  CHECK_FALSE(ParseGoDuration("5x", &ms));
  CHECK_FALSE(ParseGoDuration("", &ms));
}

TEST_CASE("component metadata: placeholders expanded, consumerID defaulted for pubsubs") {
  MetadataContext context;
  context.app_id = "myapp";
  std::map<std::string, std::string> env = {{"POD_NAME", "pod-7"}};
  context.env = [&env](const char* name) { return env.count(name) ? env[name] : ""; };
  context.host_name = [] { return std::string("box"); };
  int uuids = 0;
  context.new_uuid = [&uuids] { return "uuid" + std::to_string(++uuids); };

  std::map<std::string, std::string> metadata = {
      {"group", "{appID}-{podName}"}, {"ids", "{uuid},{uuid}"}, {"ns", "{namespace}"}};
  PrepareComponentMetadata(ComponentKind::kPubSub, context, &metadata);
  CHECK(metadata.at("group") == "myapp-pod-7");
  CHECK(metadata.at("ids") == "uuid1,uuid2");
  CHECK(metadata.at("ns") == "default.myapp");
  CHECK(metadata.at("consumerID") == "myapp");

  env = {{"NAMESPACE", "prod"}};
  std::map<std::string, std::string> given = {{"consumerID", "{podName}"}, {"ns", "{namespace}"}};
  PrepareComponentMetadata(ComponentKind::kPubSub, context, &given);
  CHECK(given.at("consumerID") == "box");
  CHECK(given.at("ns") == "prod.myapp");

  std::map<std::string, std::string> state;
  PrepareComponentMetadata(ComponentKind::kState, context, &state);
  CHECK(state.empty());  // consumerID is a pubsub's
}

}  // namespace plughost
