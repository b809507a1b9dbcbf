// Parsing of `plughost conformance` flags.
#include <catch2/catch.hpp>

#include "host/app/cli.h"

namespace plughost {
namespace {

absl::StatusOr<CliOptions> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "plughost");
  return ParseCommandLine(static_cast<int>(args.size()), args.data(),
                          [](const char*) { return std::string(); });
}

std::string Error(std::vector<const char*> args) {
  auto parsed = Parse(std::move(args));
  REQUIRE_FALSE(parsed.ok());
  return std::string(parsed.status().message());
}

}  // namespace

TEST_CASE("conformance: socket, kind and repeated metadata") {
  auto options = Parse({"conformance", "--socket", "/s/x.sock", "--kind=state", "--metadata", "a=1",
                        "--metadata=b=x=y", "--metadata", "empty="});
  REQUIRE(options.ok());
  CHECK(options->command == Command::kConformance);
  CHECK(options->conformance.socket == "/s/x.sock");
  CHECK(options->conformance.kind == "state");
  CHECK(options->conformance.metadata ==
        std::map<std::string, std::string>{{"a", "1"}, {"b", "x=y"}, {"empty", ""}});
}

TEST_CASE("conformance: bad usage is named") {
  CHECK_THAT(Error({"conformance"}), Catch::Contains("--socket PATH is required"));
  CHECK_THAT(Error({"conformance", "--socket", "/s", "--metadata", "novalue"}),
             Catch::Contains("--metadata: expected KEY=VALUE, got 'novalue'"));
  CHECK_THAT(Error({"conformance", "--socket", "/s", "--metadata", "=v"}),
             Catch::Contains("--metadata: expected KEY=VALUE"));
  CHECK_THAT(Error({"--socket", "/s"}),
             Catch::Contains("--socket belongs to 'plughost conformance'"));
  CHECK_THAT(Error({"components", "--kind", "state"}), Catch::Contains("--kind belongs to"));
}

}  // namespace plughost
