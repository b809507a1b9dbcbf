#include "host/pubsub/routing_lexer.h"

#include <cctype>
#include <charconv>
#include <string>

#include <fmt/format.h>

namespace plughost::routing {
namespace {

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)); }
bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The character a one-letter escape stands for, or '\0'.
char SimpleEscape(char e) {
  static constexpr std::string_view kFrom = "\\?\"'`abfnrtv";
  static constexpr std::string_view kTo = "\\?\"'`\a\b\f\n\r\t\v";
  size_t i = kFrom.find(e);
  return i == std::string_view::npos || e == '\0' ? '\0' : kTo[i];
}

absl::Status ErrorAt(size_t offset, std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("position {}: {}", offset + 1, what));
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  absl::StatusOr<std::vector<Token>> Run() {
    std::vector<Token> tokens;
    while (true) {
      SkipSpaceAndComments();
      Token token;
      token.position = pos_ + 1;
      if (pos_ >= text_.size()) {
        tokens.push_back(std::move(token));
        return tokens;
      }
      char c = text_[pos_];
      absl::Status status;
      if (IsDigit(c)) {
        status = Number(token);
      } else if (c == '"' || c == '\'') {
        status = String(token, /*raw=*/false);
      } else if (IsIdentStart(c)) {
        status = IdentOrPrefixedString(token);
      } else {
        status = Punct(token);
      }
      if (!status.ok()) return status;
      tokens.push_back(std::move(token));
    }
  }

 private:
  char At(size_t i) const { return i < text_.size() ? text_[i] : '\0'; }

  void SkipSpaceAndComments() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        ++pos_;
      } else if (c == '/' && At(pos_ + 1) == '/') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        return;
      }
    }
  }

  absl::Status Number(Token& token) {
    size_t start = pos_;
    bool hex = text_[pos_] == '0' && (At(pos_ + 1) == 'x' || At(pos_ + 1) == 'X');
    bool is_double = false;
    if (hex) {
      pos_ += 2;
      while (HexValue(At(pos_)) >= 0) ++pos_;
      if (pos_ == start + 2) return ErrorAt(start, "malformed hexadecimal number");
    } else {
      while (IsDigit(At(pos_))) ++pos_;
      if (At(pos_) == '.' && IsDigit(At(pos_ + 1))) {
        is_double = true;
        ++pos_;
        while (IsDigit(At(pos_))) ++pos_;
      }
      if (At(pos_) == 'e' || At(pos_) == 'E') {
        size_t exponent = pos_ + 1;
        if (At(exponent) == '+' || At(exponent) == '-') ++exponent;
        if (!IsDigit(At(exponent))) return ErrorAt(start, "malformed number (exponent)");
        is_double = true;
        pos_ = exponent;
        while (IsDigit(At(pos_))) ++pos_;
      }
    }
    std::string_view digits = text_.substr(start, pos_ - start);
    if (is_double) {
      token.kind = Token::Kind::kDouble;
      auto [end, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), token.double_value);
      if (ec != std::errc() || end != digits.data() + digits.size()) {
        return ErrorAt(start, "double literal out of range");
      }
    } else {
      token.kind = Token::Kind::kInt;
      std::string_view body = hex ? digits.substr(2) : digits;
      auto [end, ec] =
          std::from_chars(body.data(), body.data() + body.size(), token.magnitude, hex ? 16 : 10);
      if (ec != std::errc() || end != body.data() + body.size()) {
        return ErrorAt(start, "integer literal out of range");
      }
      if (At(pos_) == 'u' || At(pos_) == 'U') {
        token.kind = Token::Kind::kUint;
        ++pos_;
      }
    }
    if (IsIdentChar(At(pos_))) {
      return ErrorAt(start, "malformed number");
    }
    token.text = std::string(text_.substr(start, pos_ - start));
    return absl::OkStatus();
  }

  absl::Status IdentOrPrefixedString(Token& token) {
    size_t start = pos_;
    while (IsIdentChar(At(pos_))) ++pos_;
    std::string_view word = text_.substr(start, pos_ - start);
    char next = At(pos_);
    if (next == '"' || next == '\'') {
      if (word == "r" || word == "R") return String(token, /*raw=*/true);
      if (word == "b" || word == "B" || word == "br" || word == "rb" || word == "bR" ||
          word == "Rb" || word == "BR" || word == "RB" || word == "Br" || word == "rB") {
        return ErrorAt(start, "bytes literals are not supported");
      }
    }
    token.kind = Token::Kind::kIdent;
    token.text = std::string(word);
    return absl::OkStatus();
  }

  // At the opening quote. Single-, double- and triple-quoted, raw or with CEL's escapes.
  absl::Status String(Token& token, bool raw) {
    size_t start = pos_;
    char quote = text_[pos_];
    bool triple = At(pos_ + 1) == quote && At(pos_ + 2) == quote;
    pos_ += triple ? 3 : 1;
    token.kind = Token::Kind::kString;
    std::string& out = token.string_value;
    while (true) {
      if (pos_ >= text_.size()) return ErrorAt(start, "unterminated string");
      char c = text_[pos_];
      if (c == quote && (!triple || (At(pos_ + 1) == quote && At(pos_ + 2) == quote))) {
        pos_ += triple ? 3 : 1;
        token.text = std::string(text_.substr(start, pos_ - start));
        return absl::OkStatus();
      }
      if ((c == '\n' || c == '\r') && !triple) return ErrorAt(start, "unterminated string");
      if (c != '\\' || raw) {
        out += c;
        ++pos_;
        continue;
      }
      if (auto status = Escape(out); !status.ok()) return status;
    }
  }

  // At a backslash inside a string.
  absl::Status Escape(std::string& out) {
    size_t start = pos_;
    char e = At(pos_ + 1);
    pos_ += 2;
    if (char simple = SimpleEscape(e); simple != '\0') {
      out += simple;
      return absl::OkStatus();
    }
    int digits = 0, base = 16;
    if (e == 'x' || e == 'X') {
      digits = 2;
    } else if (e == 'u') {
      digits = 4;
    } else if (e == 'U') {
      digits = 8;
    } else if (e >= '0' && e <= '3') {
      digits = 3;  // \ooo: the first digit is part of the value
      base = 8;
      --pos_;
    } else {
      return ErrorAt(start, "unknown escape sequence in string");
    }
    uint32_t cp = 0;
    for (int i = 0; i < digits; ++i) {
      int d = HexValue(At(pos_));
      if (d < 0 || d >= base) return ErrorAt(start, "malformed escape sequence in string");
      cp = cp * base + d;
      ++pos_;
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return ErrorAt(start, "escape sequence is not a Unicode code point");
    }
    AppendUtf8(cp, out);
    return absl::OkStatus();
  }

  absl::Status Punct(Token& token) {
    static constexpr std::string_view kTwoChar[] = {"==", "!=", "<=", ">=", "&&", "||"};
    static constexpr std::string_view kOneChar = "<>!()[]{}.,:?+-*/%";
    token.kind = Token::Kind::kPunct;
    std::string_view two = text_.substr(pos_, 2);
    for (std::string_view op : kTwoChar) {
      if (two == op) {
        token.text = std::string(op);
        pos_ += 2;
        return absl::OkStatus();
      }
    }
    char c = text_[pos_];
    if (kOneChar.find(c) != std::string_view::npos) {
      token.text = std::string(1, c);
      ++pos_;
      return absl::OkStatus();
    }
    if (c == '=') return ErrorAt(pos_, "'=' is not an operator (did you mean '=='?)");
    if (c == '&') return ErrorAt(pos_, "'&' is not an operator (did you mean '&&'?)");
    if (c == '|') return ErrorAt(pos_, "'|' is not an operator (did you mean '||'?)");
    return ErrorAt(pos_,
                   fmt::format("unexpected character '{}'",
                               std::isprint(static_cast<unsigned char>(c))
                                   ? std::string(1, c)
                                   : fmt::format("\\x{:02x}", static_cast<unsigned char>(c))));
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<std::vector<Token>> Lex(std::string_view text) { return Lexer(text).Run(); }

}  // namespace plughost::routing
