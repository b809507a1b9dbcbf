#include "host/pubsub/cloud_events.h"

#include <google/protobuf/struct.pb.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <optional>
#include <random>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/bounded_json.h"
#include "host/common/json_string.h"
#include "host/common/limit_hits.h"

namespace plughost::cloud_events {
namespace {

using nlohmann::json;

// Field names of Dapr's envelope.
constexpr char kId[] = "id";
constexpr char kSource[] = "source";
constexpr char kType[] = "type";
constexpr char kSpecVersion[] = "specversion";
constexpr char kDataContentType[] = "datacontenttype";
constexpr char kData[] = "data";
constexpr char kDataBase64[] = "data_base64";
constexpr char kTopic[] = "topic";
constexpr char kPubsubName[] = "pubsubname";
constexpr char kTime[] = "time";
constexpr char kSubject[] = "subject";
constexpr char kTraceId[] = "traceid";
constexpr char kTraceParent[] = "traceparent";
constexpr char kTraceState[] = "tracestate";
constexpr char kExpiration[] = "expiration";

constexpr char kDefaultType[] = "com.dapr.event.sent";
constexpr char kDefaultSource[] = "Dapr";
constexpr char kSpecVersionValue[] = "1.0";
constexpr char kDefaultDataContentType[] = "text/plain";
constexpr char kBinaryContentType[] = "application/octet-stream";

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// Dapr's rule: the whole type, or the part before ';', equals `expected` ignoring case.
bool IsContentType(std::string_view content_type, std::string_view expected) {
  std::string lower = Lower(content_type);
  if (lower == expected) return true;
  auto semicolon = lower.find(';');
  return semicolon != std::string::npos && lower.substr(0, semicolon) == expected;
}

// Serialises like Go's encoding/json would accept back: invalid UTF-8 becomes U+FFFD instead
// of throwing.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string StringField(const json& event, const char* field) {
  auto it = event.find(field);
  return it != event.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The "cloudevent.<field>" metadata overrides Dapr accepts, matched ignoring case.
struct Overrides {
  std::string id, source, type, subject, trace_id, trace_parent, trace_state;
};

Overrides ReadOverrides(const Metadata* metadata) {
  Overrides overrides;
  if (metadata == nullptr) return overrides;
  constexpr std::string_view kPrefix = "cloudevent.";
  for (const auto& [key, value] : *metadata) {
    std::string lower = Lower(key);
    if (lower.rfind(kPrefix, 0) != 0) continue;
    std::string_view field = std::string_view(lower).substr(kPrefix.size());
    if (field == kId)
      overrides.id = value;
    else if (field == kSource)
      overrides.source = value;
    else if (field == kType)
      overrides.type = value;
    else if (field == kSubject)
      overrides.subject = value;
    else if (field == kTraceId)
      overrides.trace_id = value;
    else if (field == kTraceParent)
      overrides.trace_parent = value;
    else if (field == kTraceState)
      overrides.trace_state = value;
  }
  return overrides;
}

// "ttlInSeconds" as Dapr reads it for envelopes: a positive integer, else no TTL.
std::optional<std::chrono::seconds> Ttl(const Metadata* metadata) {
  if (metadata == nullptr) return std::nullopt;
  auto it = metadata->find(kTtlKey);
  if (it == metadata->end() || it->second.empty()) return std::nullopt;
  int64_t seconds = 0;
  for (char c : it->second) {
    if (!std::isdigit(static_cast<unsigned char>(c)) || seconds > (int64_t{1} << 40)) {
      return std::nullopt;
    }
    seconds = seconds * 10 + (c - '0');
  }
  if (seconds <= 0) return std::nullopt;
  return std::chrono::seconds(seconds);
}

google::protobuf::Value ToValue(const json& value) {
  google::protobuf::Value out;
  switch (value.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
      out.set_null_value(google::protobuf::NULL_VALUE);
      break;
    case json::value_t::boolean:
      out.set_bool_value(value.get<bool>());
      break;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      out.set_number_value(value.get<double>());
      break;
    case json::value_t::string:
      out.set_string_value(value.get<std::string>());
      break;
    case json::value_t::array:
      for (const auto& item : value) *out.mutable_list_value()->add_values() = ToValue(item);
      break;
    case json::value_t::object:
      out.mutable_struct_value();
      for (const auto& [key, item] : value.items()) {
        (*out.mutable_struct_value()->mutable_fields())[key] = ToValue(item);
      }
      break;
    case json::value_t::binary:
      out.set_string_value(Dump(value));
      break;
  }
  return out;
}

int DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's days_from_civil: days since 1970-01-01 in the proleptic Gregorian calendar.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<int>(era * 146097 + static_cast<int64_t>(doe) - 719468);
}

bool ReadDigits(std::string_view text, size_t& pos, size_t count, int* value) {
  if (pos + count > text.size()) return false;
  int result = 0;
  for (size_t i = 0; i < count; ++i) {
    char c = text[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    result = result * 10 + (c - '0');
  }
  pos += count;
  *value = result;
  return true;
}

bool Expect(std::string_view text, size_t& pos, char expected) {
  if (pos >= text.size() || std::toupper(static_cast<unsigned char>(text[pos])) != expected) {
    return false;
  }
  ++pos;
  return true;
}

// Serialising, copying and walking a document recurse once per level: a deeper one is refused
// before it is parsed, so it can never overflow a thread's stack.
absl::Status TooDeep(std::string_view what) {
  limit_hits::Hit(limit_hits::Limit::kJsonTooDeep);
  return absl::InvalidArgumentError(
      fmt::format("{} is JSON nested deeper than {} levels", what, kMaxJsonDepth));
}

// Each character's 6-bit value in base64, -1 for characters outside the alphabet.
struct Base64Values {
  int16_t of[256];  // wider than the values need: -1 stays a plain int on every read
  constexpr Base64Values() : of() {
    constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (auto& value : of) value = -1;
    for (size_t i = 0; i < kAlphabet.size(); ++i) {
      of[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int16_t>(i);
    }
  }
};
constexpr Base64Values kBase64Values;

// One "key":value member of an envelope being written; `out` already holds the '{'.
void AppendKey(std::string_view key, std::string* out) {
  if (out->size() > 1) out->push_back(',');
  out->push_back('"');
  out->append(key);  // our own constants: nothing to escape
  out->append("\":");
}

void AppendStringMember(std::string_view key, std::string_view value, std::string* out) {
  AppendKey(key, out);
  AppendJsonString(value, out);
}

// A new envelope around the app's data, with Dapr's defaults, written straight into one
// buffer: no JSON tree, no string per field. JSON data is checked (json::accept builds
// nothing) and copied as is, binary data base64-encoded in place, text escaped in place, so a
// 16 KiB payload is read twice at most and copied once. Members come in sorted key order, as
// a json object would write them.
absl::StatusOr<std::string> NewEnvelope(const Published& event,
                                        std::optional<std::string> expiration) {
  Overrides overrides = ReadOverrides(event.metadata);
  std::string_view content_type =
      event.data_content_type.empty() ? kDefaultDataContentType : event.data_content_type;
  bool json_data = false, binary_data = false;
  if (IsJsonContentType(content_type)) {
    if (JsonNestingDepth(event.data) > kMaxJsonDepth) return TooDeep("the event's data");
    // Data that claims to be JSON but is not travels as text, as in Dapr.
    json_data = json::accept(event.data);
  } else {
    binary_data = IsBinaryContentType(content_type);
  }
  std::string_view source = !overrides.source.empty() ? std::string_view(overrides.source)
                            : !event.app_id.empty()   ? event.app_id
                                                      : std::string_view(kDefaultSource);
  // "traceparent" supersedes "traceid"; both carry the same value.
  std::string_view trace = !overrides.trace_parent.empty()
                               ? std::string_view(overrides.trace_parent)
                           : !overrides.trace_id.empty() ? std::string_view(overrides.trace_id)
                                                         : event.trace_parent;
  std::string_view state =
      !overrides.trace_state.empty() ? std::string_view(overrides.trace_state) : event.trace_state;

  std::string out;
  // The fixed members take under 400 bytes; base64 grows the data by a third.
  out.reserve(512 + (binary_data ? Base64Length(event.data.size()) : event.data.size()) +
              overrides.id.size() + overrides.type.size() + overrides.subject.size() +
              source.size() + trace.size() * 2 + state.size() + event.topic.size() +
              event.pubsub_name.size() + content_type.size());
  out.push_back('{');
  if (binary_data) {
    AppendKey(kDataBase64, &out);
    out.push_back('"');
    AppendBase64(event.data, &out);
    out.push_back('"');
  } else if (json_data) {
    AppendKey(kData, &out);
    out.append(event.data);
  } else {
    AppendStringMember(kData, event.data, &out);
  }
  AppendStringMember(kDataContentType, content_type, &out);
  if (expiration) AppendStringMember(kExpiration, *expiration, &out);
  AppendStringMember(kId, overrides.id.empty() ? NewUuid() : overrides.id, &out);
  AppendStringMember(kPubsubName, event.pubsub_name, &out);
  AppendStringMember(kSource, source, &out);
  AppendStringMember(kSpecVersion, kSpecVersionValue, &out);
  if (!overrides.subject.empty()) AppendStringMember(kSubject, overrides.subject, &out);
  AppendStringMember(kTime, FormatRfc3339(std::chrono::system_clock::now()), &out);
  AppendStringMember(kTopic, event.topic, &out);
  // Always present, empty when there is no trace, as daprd writes them.
  AppendStringMember(kTraceId, trace, &out);
  AppendStringMember(kTraceParent, trace, &out);
  AppendStringMember(kTraceState, state, &out);
  AppendStringMember(kType, overrides.type.empty() ? kDefaultType : overrides.type, &out);
  out.push_back('}');
  return out;
}

}  // namespace

bool IsCloudEventContentType(std::string_view content_type) {
  return IsContentType(content_type, kContentType);
}
bool IsJsonContentType(std::string_view content_type) {
  return IsContentType(content_type, "application/json");
}
bool IsBinaryContentType(std::string_view content_type) {
  return IsContentType(content_type, kBinaryContentType);
}
bool IsTextContentType(std::string_view content_type) {
  return Lower(content_type).rfind("text/", 0) == 0 ||
         IsContentType(content_type, "application/xml");
}

absl::StatusOr<bool> IsRawPayload(const Metadata& metadata) {
  auto it = metadata.find(kRawPayloadKey);
  if (it == metadata.end() || it->second.empty()) return false;
  const std::string& v = it->second;
  if (v == "1" || v == "t" || v == "T" || v == "TRUE" || v == "true" || v == "True") return true;
  if (v == "0" || v == "f" || v == "F" || v == "FALSE" || v == "false" || v == "False") {
    return false;
  }
  return absl::InvalidArgumentError(
      fmt::format("{} value must be a valid boolean: actual is '{}'", kRawPayloadKey, v));
}

absl::StatusOr<std::string> Envelope(const Published& event) {
  json envelope;
  if (IsCloudEventContentType(event.data_content_type)) {
    if (JsonNestingDepth(event.data) > kMaxJsonDepth) return TooDeep("the cloudevent");
    envelope = ParseBoundedJson(event.data);
    if (envelope.is_discarded() || !envelope.is_object()) {
      return absl::InvalidArgumentError("cannot create cloudevent");
    }
    if (!envelope.contains(kTime))
      envelope[kTime] = FormatRfc3339(std::chrono::system_clock::now());
    envelope[kTopic] = std::string(event.topic);
    envelope[kPubsubName] = std::string(event.pubsub_name);
    // The app's own trace fields stand; missing ones are added, empty when there is no trace.
    if (!envelope.contains(kTraceId)) envelope[kTraceId] = std::string(event.trace_parent);
    if (!envelope.contains(kTraceParent)) envelope[kTraceParent] = std::string(event.trace_parent);
    if (!envelope.contains(kTraceState)) envelope[kTraceState] = std::string(event.trace_state);
    if (!envelope.contains(kSource) || envelope[kSource].is_null())
      envelope[kSource] = kDefaultSource;
    if (!envelope.contains(kType) || envelope[kType].is_null()) envelope[kType] = kDefaultType;
    if (!envelope.contains(kSpecVersion) || envelope[kSpecVersion].is_null()) {
      envelope[kSpecVersion] = kSpecVersionValue;
    }
  } else {
    std::optional<std::string> expiration;
    if (auto ttl = Ttl(event.metadata); ttl && !event.component_handles_ttl) {
      expiration = FormatRfc3339(std::chrono::system_clock::now() + *ttl);
    }
    return NewEnvelope(event, std::move(expiration));
  }
  if (auto ttl = Ttl(event.metadata); ttl && !event.component_handles_ttl) {
    envelope[kExpiration] = FormatRfc3339(std::chrono::system_clock::now() + *ttl);
  }
  return Dump(envelope);
}

absl::StatusOr<Decoded> ToTopicEvent(
    const dapr::proto::components::v1::PullMessagesResponse& message, const Received& received,
    dapr::proto::runtime::v1::TopicEventRequest* out) {
  out->set_topic(std::string(received.topic));
  out->set_pubsub_name(std::string(received.pubsub_name));
  out->set_path(std::string(received.path));

  json event;
  bool wrap = received.raw_payload || IsBinaryContentType(message.content_type());
  if (!wrap) {
    // A document too deep to walk safely is refused (the caller nacks it with one log line).
    if (JsonNestingDepth(message.data()) > kMaxJsonDepth) return TooDeep("the event");
    event = ParseJsonObject(message.data());
    wrap = event.is_discarded() || !event.is_object();
  }
  if (wrap) {
    // Not a CloudEvent: deliver the payload as is, in a new envelope of its own. Like Dapr, a
    // raw-payload subscription always calls it application/octet-stream.
    const std::string& type = message.content_type();
    bool opaque = received.raw_payload || type.empty() || IsCloudEventContentType(type);
    out->set_id(NewUuid());
    out->set_source(kDefaultSource);
    out->set_type(kDefaultType);
    out->set_spec_version(kSpecVersionValue);
    out->set_data_content_type(opaque ? kBinaryContentType : type);
    out->set_data(message.data());
    auto& fields = *out->mutable_extensions()->mutable_fields();
    fields[kTopic].set_string_value(std::string(received.topic));
    fields[kPubsubName].set_string_value(std::string(received.pubsub_name));
    return Decoded::kEvent;
  }

  if (auto it = event.find(kExpiration); it != event.end() && it->is_string()) {
    std::chrono::system_clock::time_point expiration;
    if (ParseRfc3339(it->get<std::string>(), &expiration) &&
        expiration < std::chrono::system_clock::now()) {
      return Decoded::kExpired;
    }
  }

  out->set_id(StringField(event, kId));
  out->set_source(StringField(event, kSource));
  out->set_type(StringField(event, kType));
  out->set_spec_version(StringField(event, kSpecVersion));
  out->set_data_content_type(StringField(event, kDataContentType));

  if (auto it = event.find(kDataBase64); it != event.end() && !it->is_null()) {
    if (!it->is_string() || !Base64Decode(it->get_ref<const std::string&>(), out->mutable_data())) {
      out->clear_data();
      return absl::InvalidArgumentError("the event's data_base64 is not valid base64");
    }
  } else if (auto data = event.find(kData); data != event.end() && !data->is_null()) {
    const std::string& type = out->data_content_type();
    bool json_type = IsJsonContentType(type) || IsCloudEventContentType(type);
    // Text is delivered as its characters; JSON (and anything structured) as JSON text.
    if (data->is_string() && !json_type) {
      out->set_data(std::move(data->get_ref<std::string&>()));  // the tree is ours to take
    } else {
      out->set_data(Dump(*data));
    }
  }

  auto& fields = *out->mutable_extensions()->mutable_fields();
  for (const auto& [key, value] : event.items()) {
    if (key == kId || key == kSource || key == kType || key == kSpecVersion ||
        key == kDataContentType || key == kData || key == kDataBase64) {
      continue;
    }
    fields[key] = ToValue(value);
  }
  return Decoded::kEvent;
}

std::string NewUuid() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::array<uint8_t, 16> bytes;
  for (size_t i = 0; i < bytes.size(); i += 8) {
    uint64_t random = generator();
    for (size_t j = 0; j < 8; ++j) bytes[i + j] = static_cast<uint8_t>(random >> (8 * j));
  }
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(36, '-');
  size_t at = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++at;  // the '-' already there
    text[at++] = kHex[bytes[i] >> 4];
    text[at++] = kHex[bytes[i] & 15];
  }
  return text;
}

std::string FormatRfc3339(std::chrono::system_clock::time_point time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

bool ParseRfc3339(std::string_view text, std::chrono::system_clock::time_point* time) {
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!ReadDigits(text, pos, 4, &year) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, &month) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, &day) || !Expect(text, pos, 'T') ||
      !ReadDigits(text, pos, 2, &hour) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, &minute) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, &second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  if (pos < text.size() && text[pos] == '.') {  // fractional seconds: ignored
    ++pos;
    size_t digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])))
      ++pos, ++digits;
    if (digits == 0) return false;
  }
  int offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '+' ? 1 : -1;
    ++pos;
    int offset_hours, offset_mins;
    if (!ReadDigits(text, pos, 2, &offset_hours) || !Expect(text, pos, ':') ||
        !ReadDigits(text, pos, 2, &offset_mins)) {
      return false;
    }
    offset_minutes = sign * (offset_hours * 60 + offset_mins);
  } else {
    return false;
  }
  if (pos != text.size()) return false;
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  *time = std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
  return true;
}

std::string Base64Encode(std::string_view data) { return plughost::Base64Encode(data); }

bool Base64Decode(std::string_view text, std::string* out) {
  if (text.size() % 4 != 0) return false;
  out->resize(text.size() / 4 * 3);
  char* to = out->data();
  const auto* from = reinterpret_cast<const unsigned char*>(text.data());
  const auto* values = kBase64Values.of;
  // Every quantum but the last has no padding: four lookups, one check of all four.
  size_t full = text.empty() ? 0 : text.size() - 4;
  for (size_t i = 0; i < full; i += 4) {
    int a = values[from[i]], b = values[from[i + 1]], c = values[from[i + 2]],
        d = values[from[i + 3]];
    if ((a | b | c | d) < 0) return false;
    uint32_t n = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6) | uint32_t(d);
    to[0] = static_cast<char>(n >> 16);
    to[1] = static_cast<char>(n >> 8);
    to[2] = static_cast<char>(n);
    to += 3;
  }
  if (text.empty()) return true;
  // The last quantum: "xx==", "xxx=" or "xxxx"; padding only in its last two places.
  uint32_t n = 0;
  int padding = 0;
  for (size_t j = 0; j < 4; ++j) {
    char c = text[full + j];
    if (c == '=') {
      if (j < 2) return false;
      ++padding;
      n <<= 6;
      continue;
    }
    if (padding > 0) return false;
    int value = values[static_cast<unsigned char>(c)];
    if (value < 0) return false;
    n = (n << 6) | static_cast<uint32_t>(value);
  }
  *to++ = static_cast<char>((n >> 16) & 0xff);
  if (padding < 2) *to++ = static_cast<char>((n >> 8) & 0xff);
  if (padding < 1) *to++ = static_cast<char>(n & 0xff);
  out->resize(static_cast<size_t>(to - out->data()));
  return true;
}

}  // namespace plughost::cloud_events
