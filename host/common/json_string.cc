#include "host/common/json_string.h"

#include <algorithm>
#include <bit>
#include <bitset>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <system_error>

#include "common/bounded_json.h"

namespace plughost {
namespace {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

// How many of the 8 bytes of `word` (in memory order) need no look of their own before the
// first that does: a control character, '"', '\\' or a non-ASCII byte; 8 when none does. The
// classic "has a byte less than n" and "has a zero byte" bit tricks flag such bytes; borrows
// can flag bytes after a real one, never before, so the lowest flag is exact.
size_t PlainPrefix(uint64_t word) {
  uint64_t below_space = (word - kOnes * 0x20) & ~word;
  uint64_t quote = word ^ (kOnes * '"');
  uint64_t backslash = word ^ (kOnes * '\\');
  uint64_t is_quote = (quote - kOnes) & ~quote;
  uint64_t is_backslash = (backslash - kOnes) & ~backslash;
  uint64_t flags = (below_space | is_quote | is_backslash | word) & kHighBits;
  if constexpr (std::endian::native == std::endian::little) {
    return flags == 0 ? 8 : static_cast<size_t>(std::countr_zero(flags)) / 8;
  } else {
    return flags == 0 ? 8 : 0;  // a look at the next byte, then the next word
  }
}

// Moves `*i` past the plain bytes (PlainPrefix) of the 8 at `*i`, when 8 remain; true if all 8
// were plain, so the caller goes on to the next word instead of looking at text[*i].
bool SkipPlainWord(std::string_view text, size_t* i) {
  if (*i + 8 > text.size()) return false;
  uint64_t word;
  std::memcpy(&word, text.data() + *i, sizeof word);
  size_t plain = PlainPrefix(word);
  *i += plain;
  return plain == 8;
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

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The four hex digits at text[at..]; -1 when they are not.
int32_t ReadHex4(std::string_view text, size_t at) {
  if (at + 4 > text.size()) return -1;
  int32_t value = 0;
  for (size_t i = 0; i < 4; ++i) {
    int digit = HexDigit(text[at + i]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (out == nullptr) return;  // only checking
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

// The escape after a backslash at text[*pos - 1], decoded into `out` (only checked when `out`
// is null); *pos moves past it.
bool ReadEscape(std::string_view text, size_t* pos, std::string* out) {
  if (*pos >= text.size()) return false;
  char c = text[(*pos)++];
  char decoded;
  switch (c) {
    case '"':
    case '\\':
    case '/':
      decoded = c;
      break;
    case 'b':
      decoded = '\b';
      break;
    case 'f':
      decoded = '\f';
      break;
    case 'n':
      decoded = '\n';
      break;
    case 'r':
      decoded = '\r';
      break;
    case 't':
      decoded = '\t';
      break;
    case 'u':
      decoded = 0;
      break;
    default:
      return false;
  }
  if (c != 'u') {
    if (out != nullptr) out->push_back(decoded);
    return true;
  }
  int32_t unit = ReadHex4(text, *pos);
  if (unit < 0) return false;
  *pos += 4;
  uint32_t code_point = static_cast<uint32_t>(unit);
  if (unit >= 0xD800 && unit <= 0xDBFF) {
    // A high surrogate must be followed by an escaped low one, as nlohmann requires.
    if (*pos + 2 > text.size() || text[*pos] != '\\' || text[*pos + 1] != 'u') return false;
    int32_t low = ReadHex4(text, *pos + 2);
    if (low < 0xDC00 || low > 0xDFFF) return false;
    *pos += 6;
    code_point = 0x10000 + ((code_point - 0xD800) << 10) + static_cast<uint32_t>(low - 0xDC00);
  } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
    return false;
  }
  AppendUtf8(code_point, out);
  return true;
}

// Where the value that starts at text[at] (not a string) ends: past the matching bracket of an
// object or array (strings inside skipped), or at the delimiter after a scalar. What lies in
// between is left for nlohmann to judge.
bool SkipValue(std::string_view text, size_t at, size_t* end) {
  char first = text[at];
  if (first != '{' && first != '[') {
    size_t i = at;
    while (i < text.size() && text[i] != ',' && text[i] != '}' && text[i] != ']' &&
           text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r') {
      ++i;
    }
    *end = i;
    return i > at;
  }
  int depth = 0;
  for (size_t i = at; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      i = JsonStringEnd(text, i + 1);  // the loop steps past the closing quote
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      *end = i + 1;
      return true;
    }
  }
  return false;
}

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t SkipSpace(std::string_view text, size_t at) {
  while (at < text.size() && IsJsonSpace(text[at])) ++at;
  return at;
}

// The fast path of ParseJsonObject; nullopt hands the whole text to nlohmann.
std::optional<nlohmann::json> ReadObject(std::string_view text) {
  using nlohmann::json;
  size_t i = SkipSpace(text, 0);
  if (i >= text.size() || text[i] != '{') return std::nullopt;
  json object = json::object();
  i = SkipSpace(text, i + 1);
  if (i < text.size() && text[i] == '}') {
    return SkipSpace(text, i + 1) == text.size() ? std::optional(std::move(object)) : std::nullopt;
  }
  while (true) {
    std::string key;
    if (i >= text.size() || text[i] != '"' || !ReadJsonString(text, &i, &key)) return std::nullopt;
    i = SkipSpace(text, i);
    if (i >= text.size() || text[i] != ':') return std::nullopt;
    i = SkipSpace(text, i + 1);
    if (i >= text.size()) return std::nullopt;
    json value;
    if (text[i] == '"') {
      std::string string;
      if (!ReadJsonString(text, &i, &string)) return std::nullopt;
      value = std::move(string);
    } else {
      size_t end = 0;
      if (!SkipValue(text, i, &end)) return std::nullopt;
      value = json::parse(text.substr(i, end - i), nullptr, /*allow_exceptions=*/false);
      if (value.is_discarded()) return std::nullopt;
      i = end;
    }
    object[std::move(key)] = std::move(value);  // a repeated key: the last one wins, as in nlohmann
    i = SkipSpace(text, i);
    if (i < text.size() && text[i] == ',') {
      i = SkipSpace(text, i + 1);
      continue;
    }
    if (i < text.size() && text[i] == '}') {
      if (SkipSpace(text, i + 1) != text.size()) return std::nullopt;
      return object;
    }
    return std::nullopt;
  }
}

// Steps over the number that starts at text[*pos] (a '-' or a digit) as nlohmann's lexer reads
// it; false when it is malformed or, as nlohmann's parser refuses it, overflows a double.
bool SkipNumber(std::string_view text, size_t* pos) {
  const size_t start = *pos;
  size_t i = start;
  auto is_digit = [&](size_t at) { return at < text.size() && text[at] >= '0' && text[at] <= '9'; };
  if (text[i] == '-') ++i;
  if (!is_digit(i)) return false;
  // The decimal exponent of the first significant digit, to tell overflow without converting.
  int64_t magnitude = 0;
  bool nonzero = false;
  if (text[i] == '0') {
    ++i;  // a leading zero stands alone: "01" is "0" followed by a stray token
  } else {
    size_t first = i;
    while (is_digit(i)) ++i;
    magnitude = static_cast<int64_t>(i - first) - 1;
    nonzero = true;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!is_digit(i)) return false;
    for (int64_t place = -1; is_digit(i); ++i, --place) {
      if (!nonzero && text[i] != '0') {
        nonzero = true;
        magnitude = place;
      }
    }
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
    if (!is_digit(i)) return false;
    int64_t exponent = 0;
    for (; is_digit(i); ++i) {
      exponent = std::min<int64_t>(exponent * 10 + (text[i] - '0'), int64_t{1} << 40);
    }
    magnitude += negative ? -exponent : exponent;
  }
  *pos = i;
  // Below 1e308 a double holds it; from 1e309 on it is infinite. Only the decade between needs a
  // real conversion (underflow to zero is accepted, as by nlohmann).
  if (!nonzero || magnitude < 308) return true;
  if (magnitude > 308) return false;
  double value;
  auto [end, error] = std::from_chars(text.data() + start, text.data() + i, value);
  return error != std::errc::result_out_of_range;
}

bool SkipLiteral(std::string_view text, size_t* pos, std::string_view literal) {
  if (text.substr(*pos, literal.size()) != literal) return false;
  *pos += literal.size();
  return true;
}

// Steps over an object member's name and its ':' at text[*pos] (white space before it skipped).
bool SkipMemberName(std::string_view text, size_t* pos) {
  size_t i = SkipSpace(text, *pos);
  if (i >= text.size() || text[i] != '"' || !ReadJsonString(text, &i, nullptr)) return false;
  i = SkipSpace(text, i);
  if (i >= text.size() || text[i] != ':') return false;
  *pos = i + 1;
  return true;
}

}  // namespace

bool ValidateJson(std::string_view text, std::string_view* value) {
  size_t i = 0;
  if (!text.empty() && static_cast<unsigned char>(text[0]) == 0xEF) {
    if (text.size() < 3 || static_cast<unsigned char>(text[1]) != 0xBB ||
        static_cast<unsigned char>(text[2]) != 0xBF) {
      return false;
    }
    i = 3;
  }
  i = SkipSpace(text, i);
  const size_t begin = i;
  // One bit per open container, set for an object: the nesting is bounded, so is this.
  std::bitset<kMaxJsonDepth> in_object;
  int depth = 0;
  while (true) {
    // A value starts at text[i] (white space skipped).
    if (i >= text.size()) return false;
    char c = text[i];
    if (c == '{' || c == '[') {
      if (depth == kMaxJsonDepth) return false;
      in_object[depth++] = c == '{';
      i = SkipSpace(text, i + 1);
      if (i >= text.size() || text[i] != (c == '{' ? '}' : ']')) {
        if (c == '{' && !SkipMemberName(text, &i)) return false;
        i = SkipSpace(text, i);
        continue;  // to the first element's value
      }
      --depth;  // empty
      ++i;
    } else if (c == '"') {
      if (!ReadJsonString(text, &i, nullptr)) return false;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      if (!SkipNumber(text, &i)) return false;
    } else if (!(c == 't' && SkipLiteral(text, &i, "true")) &&
               !(c == 'f' && SkipLiteral(text, &i, "false")) &&
               !(c == 'n' && SkipLiteral(text, &i, "null"))) {
      return false;
    }
    // After a value: the next one, the end of containers, or the end of the document.
    while (true) {
      if (depth == 0) {
        size_t end = i;
        i = SkipSpace(text, i);
        if (i < text.size()) {
          if (text[i] != '\0') return false;
          // ParseBoundedJson bounds the nesting of the whole text, past the NUL too.
          if (JsonNestingDepth(text.substr(i)) > kMaxJsonDepth) return false;
        }
        *value = text.substr(begin, end - begin);
        return true;
      }
      i = SkipSpace(text, i);
      if (i >= text.size()) return false;
      bool object = in_object[depth - 1];
      if (text[i] == ',') {
        ++i;
        if (object && !SkipMemberName(text, &i)) return false;
        i = SkipSpace(text, i);
        break;
      }
      if (text[i] != (object ? '}' : ']')) return false;
      --depth;
      ++i;
    }
  }
}

bool ReadJsonString(std::string_view text, size_t* pos, std::string* out) {
  size_t i = *pos + 1;  // past the opening quote
  size_t copied = i;    // text before this is in `out`
  while (i < text.size()) {
    if (SkipPlainWord(text, &i)) continue;
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '"') {
      if (out != nullptr) out->append(text.data() + copied, i - copied);
      *pos = i + 1;
      return true;
    }
    if (c == '\\') {
      if (out != nullptr) out->append(text.data() + copied, i - copied);
      ++i;
      if (!ReadEscape(text, &i, out)) return false;
      copied = i;
    } else if (c < 0x20) {
      return false;  // control characters must be escaped
    } else if (c >= 0x80) {
      size_t length = Utf8Length(text, i);
      if (length == 0) return false;
      i += length;
    } else {
      ++i;
    }
  }
  return false;  // no closing quote
}

nlohmann::json ParseJsonObject(std::string_view text) {
  if (auto object = ReadObject(text)) return std::move(*object);
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

bool IsWellFormedUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    if (i + 8 <= text.size()) {
      uint64_t word;
      std::memcpy(&word, text.data() + i, sizeof word);
      if ((word & kHighBits) == 0) {
        i += 8;
        continue;
      }
    }
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t length = Utf8Length(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

void AppendJsonString(std::string_view text, std::string* out) {
  const size_t start = out->size();
  out->reserve(start + text.size() + 2);
  out->push_back('"');
  size_t copied = 0;  // text before this is in `out`
  size_t i = 0;
  while (i < text.size()) {
    if (SkipPlainWord(text, &i)) continue;
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
