// JSON string literals written straight into a buffer and read straight out of one, and JSON
// checked without a tree, for CloudEvent envelopes: their data is one long string (or a JSON
// document passed on as is), which nlohmann escapes, unescapes or parses one character at a
// time.
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

// Whether `text` is well-formed UTF-8 (what AppendJsonString copies as is rather than repairs).
bool IsWellFormedUtf8(std::string_view text);

// Reads the JSON string literal that starts at text[*pos] (a '"') into `out` and moves *pos
// past its closing quote. Accepts exactly what nlohmann::json's parser accepts in a string
// (escapes, \u surrogate pairs, well-formed UTF-8, no raw control characters) and decodes it
// the same way; false on anything else. Clean runs are copied in bulk. A null `out` only
// checks the literal.
bool ReadJsonString(std::string_view text, size_t* pos, std::string* out);

// Whether ParseBoundedJson would keep `text` (nlohmann::json::parse accepts it and it nests no
// deeper than kMaxJsonDepth), decided without building a tree or allocating, so JSON that is
// only passed on can be copied as it is. It follows nlohmann's reading: a UTF-8 byte order mark
// may lead, a NUL byte where a token could start ends the input, and a number beyond a double's
// range is refused. On success `*value` is the value's own text, without the byte order mark,
// the white space around it or anything after such a NUL.
bool ValidateJson(std::string_view text, std::string_view* value);

// Parses `text` as nlohmann::json::parse would (the same tree, or discarded when it is not
// JSON), faster when it is an object whose members are mostly strings, as a CloudEvent is:
// string members are read with ReadJsonString, any other member's value is parsed by nlohmann
// on its own. Anything else, or any doubt, is parsed by nlohmann as a whole. Never throws.
// The caller bounds the nesting first (JsonNestingDepth), as for any parse.
nlohmann::json ParseJsonObject(std::string_view text);

}  // namespace plughost
