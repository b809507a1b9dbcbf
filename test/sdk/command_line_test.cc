// The flags every SDK component shares, and where its socket goes when no --socket is given.
#include "sdk/cpp/command_line.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <vector>

#include "common/sockets_folder.h"
#include "sdk/cpp/socket_folder.h"

namespace plughost::sdk {
namespace {

absl::StatusOr<CommandLine> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "component");
  return ParseCommandLine(static_cast<int>(args.size()), args.data(), "my-store");
}

// Sets the folder variables for one test and restores "unset" afterwards.
struct FolderEnvironment {
  FolderEnvironment() { Clear(); }
  ~FolderEnvironment() { Clear(); }
  static void Clear() {
    for (const char* name : kSocketsFolderVariables) {
      ::unsetenv(name);
    }
  }
};

}  // namespace

TEST_CASE("the socket folder follows the host's variables, in the host's order", "[sdk]") {
  FolderEnvironment environment;
  CHECK(ComponentSocketFolder() == "/tmp/dapr-components-sockets");
  ::setenv("LAYOTTO_COMPONENTS_SOCKETS_FOLDER", "/layotto", 1);
  CHECK(ComponentSocketFolder() == "/layotto");
  ::setenv("DAPR_COMPONENT_SOCKETS_FOLDER", "/k8s", 1);
  CHECK(ComponentSocketFolder() == "/k8s");
  ::setenv("DAPR_COMPONENTS_SOCKETS_FOLDER", "/dapr", 1);
  CHECK(ComponentSocketFolder() == "/dapr");
  ::setenv("PLUGHOST_SOCKETS_DIR", "/plughost", 1);
  CHECK(DefaultSocketPath("x") == "/plughost/x.sock");
  ::setenv("PLUGHOST_SOCKETS_DIR", "", 1);  // empty counts as unset
  CHECK(ComponentSocketFolder() == "/dapr");
}

TEST_CASE("--socket and --name, with either spelling", "[sdk]") {
  FolderEnvironment environment;
  auto defaults = Parse({});
  REQUIRE(defaults.ok());
  CHECK(defaults->name == "my-store");
  CHECK(defaults->socket_path == "/tmp/dapr-components-sockets/my-store.sock");

  auto named = Parse({"--name=other"});
  REQUIRE(named.ok());
  CHECK(named->socket_path == "/tmp/dapr-components-sockets/other.sock");

  auto explicit_path = Parse({"--socket", "/s/a.sock", "--name", "n"});
  REQUIRE(explicit_path.ok());
  CHECK(explicit_path->socket_path == "/s/a.sock");
  CHECK(explicit_path->name == "n");

  auto help = Parse({"--help"});
  REQUIRE(help.ok());
  CHECK(help->help);
}

TEST_CASE("bad arguments name the problem", "[sdk]") {
  auto message = [](std::vector<const char*> args) {
    auto parsed = Parse(std::move(args));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    return std::string(parsed.status().message());
  };
  CHECK(message({"--port", "1"}) == "unknown argument --port");
  CHECK(message({"--socket"}) == "--socket needs a value");
  CHECK(message({"--name="}) == "--name must not be empty");
  CHECK(message({"--name", "a/b"}) == "--name must not contain '/'");
}

}  // namespace plughost::sdk
