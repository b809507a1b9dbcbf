// Splits a routing rule into CEL tokens. Positions are 1-based byte offsets into the rule, so a
// compile error can point at the construct it refuses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace plughost::routing {

struct Token {
  enum class Kind { kEnd, kIdent, kInt, kUint, kDouble, kString, kPunct };
  Kind kind = Kind::kEnd;
  size_t position = 0;
  std::string text;          // identifier or punctuation, as written
  uint64_t magnitude = 0;    // kInt (unsigned: the parser applies a leading '-') and kUint
  double double_value = 0;   // kDouble
  std::string string_value;  // kString, escapes decoded
};

// Errors are INVALID_ARGUMENT, "position N: ...".
absl::StatusOr<std::vector<Token>> Lex(std::string_view text);

}  // namespace plughost::routing
