// JSON string literals written straight into a buffer and read straight out of one, for
// CloudEvent envelopes: their data is one long string, which nlohmann escapes and unescapes
// one character at a time.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace plughost {

// Appends `text` as a JSON string literal (quotes included), byte for byte what nlohmann::json's
// dump writes with ensure_ascii false and error_handler_t::replace: '"', '\\' and control
// characters escaped, well-formed UTF-8 copied as is, and (through nlohmann itself, the rare
// case) ill-formed bytes replaced by U+FFFD. Clean runs are copied 8 bytes at a time.
void AppendJsonString(std::string_view text, std::string* out);

// Reads the JSON string literal that starts at text[*pos] (a '"') into `out` and moves *pos
// past its closing quote. Accepts exactly what nlohmann::json's parser accepts in a string
// (escapes, \u surrogate pairs, well-formed UTF-8, no raw control characters) and decodes it
// the same way; false on anything else. Clean runs are copied in bulk.
bool ReadJsonString(std::string_view text, size_t* pos, std::string* out);

// Parses `text` as nlohmann::json::parse would (the same tree, or discarded when it is not
// JSON), faster when it is an object whose members are mostly strings, as a CloudEvent is:
// string members are read with ReadJsonString, any other member's value is parsed by nlohmann
// on its own. Anything else, or any doubt, is parsed by nlohmann as a whole. Never throws.
// The caller bounds the nesting first (JsonNestingDepth), as for any parse.
nlohmann::json ParseJsonObject(std::string_view text);

}  // namespace plughost
