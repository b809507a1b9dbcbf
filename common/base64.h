// Standard base64 (RFC 4648, with padding): CloudEvents' data_base64 and Dapr's binary fields.
#pragma once

#include <string>
#include <string_view>

namespace plughost {

// Appends the base64 of `bytes` to `out`, written in place: a CloudEvent's 16 KiB payload is
// encoded straight into the envelope, with no string of its own and no per-character growth.
inline void AppendBase64(std::string_view bytes, std::string* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t start = out->size();
  out->resize(start + (bytes.size() + 2) / 3 * 4);
  char* to = out->data() + start;
  const auto* from = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned n = (from[i] << 16) | (from[i + 1] << 8) | from[i + 2];
    *to++ = kAlphabet[(n >> 18) & 63];
    *to++ = kAlphabet[(n >> 12) & 63];
    *to++ = kAlphabet[(n >> 6) & 63];
    *to++ = kAlphabet[n & 63];
  }
  if (i < bytes.size()) {
    unsigned n = from[i] << 16;
    if (i + 1 < bytes.size()) n |= from[i + 1] << 8;
    *to++ = kAlphabet[(n >> 18) & 63];
    *to++ = kAlphabet[(n >> 12) & 63];
    *to++ = i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    *to++ = '=';
  }
}

inline std::string Base64Encode(std::string_view bytes) {
  std::string out;
  AppendBase64(bytes, &out);
  return out;
}

}  // namespace plughost
