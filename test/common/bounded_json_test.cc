#include "common/bounded_json.h"

#include <catch2/catch.hpp>

using plughost::JsonNestingDepth;
using plughost::ParseBoundedJson;

TEST_CASE("ParseBoundedJson refuses a document nested past the bound without recursing") {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  std::string error;
  auto json = ParseBoundedJson(deep, &error);
  CHECK(json.is_discarded());
  CHECK(error.find("deeper than") != std::string::npos);
}

TEST_CASE("ParseBoundedJson accepts documents up to the bound") {
  std::string ok =
      std::string(plughost::kMaxJsonDepth, '[') + std::string(plughost::kMaxJsonDepth, ']');
  CHECK_FALSE(ParseBoundedJson(ok).is_discarded());
  std::string over = "[" + ok + "]";
  CHECK(ParseBoundedJson(over).is_discarded());
}

TEST_CASE("Brackets inside strings do not count as nesting") {
  CHECK(JsonNestingDepth(R"({"a":"[[[[[[\"{{{{"})") == 1);
  auto json = ParseBoundedJson(R"({"a":"[[[[[[\"{{{{"})", nullptr, 1);
  REQUIRE_FALSE(json.is_discarded());
  CHECK(json["a"] == "[[[[[[\"{{{{");
}

TEST_CASE("ParseBoundedJson reports text that is not JSON") {
  std::string error;
  CHECK(ParseBoundedJson("{\"a\":", &error).is_discarded());
  CHECK(error == "not valid JSON");
}
