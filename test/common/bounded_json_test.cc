#include "common/bounded_json.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string_view>

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

// The byte-at-a-time scan JsonNestingDepth replaced with one that skips long strings 8 bytes at
// a time: both must agree on every text, wherever the quotes and escapes fall.
static int DepthOneByteAtATime(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

TEST_CASE("Long strings are skipped whole, escapes and quotes at any offset") {
  CHECK(JsonNestingDepth(R"({"data":"a long string with [[[ and {{{ and \" inside it"})") == 1);
  CHECK(JsonNestingDepth(R"(["0123456789abcdef\\", [["0123456789abcdef\\\"[[[[", []]]])") == 4);
  std::mt19937 random(1204);
  const char kPieces[] = "\"\\[]{}ab";
  for (int round = 0; round < 5000; ++round) {
    std::string text(random() % 64, 'x');
    for (char& c : text) c = kPieces[random() % (sizeof kPieces - 1)];
    INFO(text);
    CHECK(JsonNestingDepth(text) == DepthOneByteAtATime(text));
  }
}
