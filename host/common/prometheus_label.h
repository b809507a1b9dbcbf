// Prometheus's text format for label values: the value goes between quotes, so backslash, quote
// and newline are escaped (`\\`, `\"`, `\n`). Both /metrics writers (host/ops and the launched
// processes' status) quote names that come from the config.
#pragma once

#include <string>
#include <string_view>

namespace plughost {

inline std::string EscapePrometheusLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace plughost
