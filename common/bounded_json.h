// Parsing JSON the host did not write (API requests, events, component answers, query strings,
// binding responses, config and resource files) with a bound on nesting. nlohmann's parser
// itself does not recurse, but serialising, comparing, copying and walking a document do, so a
// payload nested 100,000 levels deep (200 KB of "[[[...") overflows the stack of whatever
// touches it next. A cheap scan rejects such a document before it is parsed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace plughost {

// Far beyond any real document, far below what the recursive walks can take on a thread stack.
inline constexpr int kMaxJsonDepth = 1000;

namespace json_internal {

// Whether any of the 8 bytes of `word` is `byte` (the "has a zero byte" bit trick).
inline bool HasByte(uint64_t word, unsigned char byte) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  uint64_t x = word ^ (kOnes * byte);
  return ((x - kOnes) & ~x & (kOnes * 0x80)) != 0;
}

}  // namespace json_internal

// Where the JSON string whose body starts at text[i] (just past its opening quote) ends: the
// index of its closing '"', or text.size() when it is not closed. Escapes are stepped over, not
// checked. Only '"' and '\\' matter here, so a long string (an event's data) is skipped 8 bytes
// at a time: every scan that must not mistake "[[[" inside a string for nesting uses this.
inline size_t JsonStringEnd(std::string_view text, size_t i) {
  while (i < text.size()) {
    while (i + 8 <= text.size()) {
      uint64_t word;
      std::memcpy(&word, text.data() + i, sizeof word);
      if (json_internal::HasByte(word, '"') || json_internal::HasByte(word, '\\')) break;
      i += 8;
    }
    if (i >= text.size()) break;
    if (text[i] == '"') return i;
    i += text[i] == '\\' ? 2 : 1;
  }
  return text.size();
}

// The deepest nesting of objects and arrays in `text`, stopping once it passes `limit`
// (strings are skipped, so "[[[" inside a string does not count).
inline int JsonNestingDepth(std::string_view text, int limit = kMaxJsonDepth) {
  int depth = 0, deepest = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      i = JsonStringEnd(text, i + 1);  // the loop steps past the closing quote
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

// Parses `text`; a document that is not JSON, or nests deeper than `max_depth`, is discarded
// (`is_discarded()`), with the reason in `*error` when given. Never throws.
inline nlohmann::json ParseBoundedJson(std::string_view text, std::string* error = nullptr,
                                       int max_depth = kMaxJsonDepth) {
  if (JsonNestingDepth(text, max_depth) > max_depth) {
    if (error) *error = "JSON nested deeper than " + std::to_string(max_depth) + " levels";
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() && error) *error = "not valid JSON";
  return json;
}

}  // namespace plughost
