// JSON string literals written straight into a buffer, for documents the host writes itself
// (CloudEvent envelopes) without building a JSON tree first.
#pragma once

#include <string>
#include <string_view>

namespace plughost {

// Appends `text` as a JSON string literal (quotes included), byte for byte what nlohmann::json's
// dump writes with ensure_ascii false and error_handler_t::replace: '"', '\\' and control
// characters escaped, well-formed UTF-8 copied as is, and (through nlohmann itself, the rare
// case) ill-formed bytes replaced by U+FFFD. Clean runs are copied 8 bytes at a time.
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace plughost
