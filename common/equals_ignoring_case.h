// ASCII case-insensitive equality: content types, Dapr metadata keys and JSON field names are
// matched this way by daprd and the components. One definition for host, SDK and components.
#pragma once

#include <string_view>

namespace plughost {

inline char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

}  // namespace plughost
