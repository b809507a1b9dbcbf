#include "host/api/json_string.h"

#include <cstdint>
#include <cstring>

#include <nlohmann/json.hpp>

namespace plughost {
namespace {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

// True when none of the 8 bytes needs a look of its own: no control character, '"', '\\' or
// non-ASCII byte (the classic "has a byte less than n" and "has a zero byte" bit tricks).
bool PlainAscii(uint64_t word) {
  uint64_t below_space = (word - kOnes * 0x20) & ~word;
  uint64_t quote = word ^ (kOnes * '"');
  uint64_t backslash = word ^ (kOnes * '\\');
  uint64_t is_quote = (quote - kOnes) & ~quote;
  uint64_t is_backslash = (backslash - kOnes) & ~backslash;
  return ((below_space | is_quote | is_backslash | word) & kHighBits) == 0;
}

// Length of the well-formed UTF-8 sequence (Unicode table 3-7) that starts at `at`, whose first
// byte is not ASCII; 0 when it is ill-formed.
size_t Utf8Length(std::string_view text, size_t at) {
  auto byte = [&](size_t i) {
    return at + i < text.size() ? static_cast<unsigned char>(text[at + i]) : 0u;
  };
  auto continuation = [&](size_t i, unsigned low = 0x80, unsigned high = 0xBF) {
    unsigned b = byte(i);
    return b >= low && b <= high;
  };
  unsigned lead = byte(0);
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead == 0xE0) return continuation(1, 0xA0) && continuation(2) ? 3 : 0;
  if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
    return continuation(1) && continuation(2) ? 3 : 0;
  }
  if (lead == 0xED) return continuation(1, 0x80, 0x9F) && continuation(2) ? 3 : 0;
  if (lead == 0xF0) return continuation(1, 0x90) && continuation(2) && continuation(3) ? 4 : 0;
  if (lead >= 0xF1 && lead <= 0xF3) {
    return continuation(1) && continuation(2) && continuation(3) ? 4 : 0;
  }
  if (lead == 0xF4)
    return continuation(1, 0x80, 0x8F) && continuation(2) && continuation(3) ? 4 : 0;
  return 0;
}

void AppendEscape(unsigned char c, std::string* out) {
  switch (c) {
    case '"':
      out->append("\\\"");
      return;
    case '\\':
      out->append("\\\\");
      return;
    case '\b':
      out->append("\\b");
      return;
    case '\f':
      out->append("\\f");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '\t':
      out->append("\\t");
      return;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out->append(escaped, sizeof escaped);
    }
  }
}

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  const size_t start = out->size();
  out->reserve(start + text.size() + 2);
  out->push_back('"');
  size_t copied = 0;  // text before this is in `out`
  size_t i = 0;
  while (i < text.size()) {
    if (i + 8 <= text.size()) {
      uint64_t word;
      std::memcpy(&word, text.data() + i, sizeof word);
      if (PlainAscii(word)) {
        i += 8;
        continue;
      }
    }
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t length = Utf8Length(text, i);
      if (length == 0) {
        // Ill-formed UTF-8: nlohmann's own replacement rules, for identical output.
        out->resize(start);
        out->append(nlohmann::json(std::string(text))
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        return;
      }
      i += length;
    } else if (c < 0x20 || c == '"' || c == '\\') {
      out->append(text.data() + copied, i - copied);
      AppendEscape(c, out);
      copied = ++i;
    } else {
      ++i;
    }
  }
  out->append(text.data() + copied, text.size() - copied);
  out->push_back('"');
}

}  // namespace plughost
