#include "host/config/host_config.h"

#include "host/config/delivery_config.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/bounded_json.h"
#include "host/components/kind.h"

namespace plughost {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kTopLevelFields[] = {"app_id", "components", "processes",
                                                "subscriptions", "pubsub_inbound_policies"};
constexpr std::string_view kProcessFields[] = {"name", "command", "env", "workdir", "restart"};
constexpr std::string_view kComponentFields[] = {"name", "type", "version", "metadata"};
constexpr std::string_view kDefaultVersion = "v1";

// Collects every problem of one config so an operator fixes them all in one pass.
class Errors {
 public:
  explicit Errors(std::string_view source) : source_(source) {}

  // `field` is a path such as "components[1].type"; empty for the document itself.
  void Add(std::string_view field, std::string_view problem) {
    std::string line;
    if (!source_.empty()) {
      line = source_;
      line += ": ";
    }
    if (!field.empty()) {
      line += field;
      line += ": ";
    }
    line += problem;
    lines_.push_back(std::move(line));
  }

  bool empty() const { return lines_.empty(); }

  absl::Status ToStatus() const {
    std::string joined;
    for (const auto& line : lines_) {
      if (!joined.empty()) joined += '\n';
      joined += line;
    }
    return absl::InvalidArgumentError(joined);
  }

 private:
  std::string source_;
  std::vector<std::string> lines_;
};

std::string Quote(std::string_view text) {
  // dump() escapes quotes and control characters, so a hostile value cannot forge a message line.
  return Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string_view Describe(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "a number";
    case Json::value_t::null:
      return "null";
    default:
      return "an unsupported value";
  }
}

std::string Join(const std::vector<std::string>& items) {
  std::string joined;
  for (const auto& item : items) {
    if (!joined.empty()) joined += ", ";
    joined += item;
  }
  return joined;
}

std::string Join(std::span<const std::string_view> items) {
  std::vector<std::string> copies(items.begin(), items.end());
  return Join(copies);
}

// Kind prefixes in AllKinds() order, each once ("bindings" serves two kinds).
std::vector<std::string> KnownPrefixes() {
  std::vector<std::string> prefixes;
  for (ComponentKind kind : AllKinds()) {
    std::string prefix(KindPrefix(kind));
    bool seen = false;
    for (const auto& p : prefixes) seen = seen || p == prefix;
    if (!seen) prefixes.push_back(std::move(prefix));
  }
  return prefixes;
}

// 1-based line and column (in characters, not bytes) of a 1-based byte position as reported by
// nlohmann's parser, which counts the end of input as one past the last byte.
std::pair<size_t, size_t> LineAndColumn(std::string_view text, size_t byte_position) {
  size_t end = byte_position == 0 ? 0 : byte_position - 1;
  if (end > text.size()) end = text.size();
  size_t line = 1;
  size_t column = 1;
  for (size_t i = 0; i < end; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {  // UTF-8 continuation bytes belong to the previous character
      ++column;
    }
  }
  return {line, column};
}

// nlohmann's message repeats its own "[json.exception...] parse error at line L, column C: "
// prefix; keep only the explanation after it, since we print our own position.
std::string ParserExplanation(const std::string& what) {
  size_t at = what.find("column ");
  if (at != std::string::npos) {
    size_t colon = what.find(": ", at);
    if (colon != std::string::npos) return what.substr(colon + 2);
  }
  size_t bracket = what.find("] ");
  return bracket == std::string::npos ? what : what.substr(bracket + 2);
}

// Builds the document like nlohmann's own DOM parser, and also sees what that parser hides:
// repeated keys (where the last one would silently win) and the source text of
// floating-point numbers (so metadata "1e3" stays "1e3" rather than becoming "1000.0").
//
// Paths are tracked only down to the metadata objects: deeper values are errors anyway, and
// building a path per level would make deeply nested junk cost quadratic time and memory.
class ConfigSax {
 public:
  Json& root() { return root_; }
  const std::vector<std::pair<std::string, std::string>>& duplicates() const { return duplicates_; }
  const std::map<std::string, std::string>& float_texts() const { return float_texts_; }
  bool failed() const { return failed_; }
  size_t error_position() const { return error_position_; }
  const std::string& error_message() const { return error_message_; }

  bool null() { return AddValue(Json(nullptr)); }
  bool boolean(bool value) { return AddValue(Json(value)); }
  bool number_integer(Json::number_integer_t value) { return AddValue(Json(value)); }
  bool number_unsigned(Json::number_unsigned_t value) { return AddValue(Json(value)); }
  bool number_float(Json::number_float_t value, const Json::string_t& text) {
    if (!frames_.empty() && frames_.back().tracked) float_texts_[NextPath()] = text;
    Place(Json(value));
    return true;
  }
  bool string(Json::string_t& value) { return AddValue(Json(std::move(value))); }
  // Only binary formats (CBOR, ...) produce these; JSON text never does.
  bool binary(Json::binary_t&) { return AddValue(Json()); }

  bool start_object(std::size_t) { return Open(Json::object()); }
  bool start_array(std::size_t) { return Open(Json::array()); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool key(Json::string_t& name) {
    Frame& frame = frames_.back();
    if (!frame.tracked) return true;
    if (!frame.keys.insert(name).second) duplicates_.emplace_back(frame.path, name);
    frame.pending_key = name;
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    failed_ = true;
    error_position_ = position;
    error_message_ = ParserExplanation(e.what());
    return false;
  }

 private:
  // Root object, components array, component object, metadata object; for subscriptions,
  // down to subscriptions[i].routes.rules[j] (host/config/delivery_config.h).
  static constexpr size_t kTrackedDepth = 6;

  struct Frame {
    Json* container;
    bool tracked;  // false below kTrackedDepth: no path, no key checks
    std::string path;
    std::string pending_key;
    size_t next_index = 0;
    std::set<std::string> keys;
  };

  // The path the next value takes; consumes an array index. Empty in untracked containers.
  std::string NextPath() {
    if (frames_.empty()) return "";
    Frame& frame = frames_.back();
    if (!frame.tracked) return "";
    if (frame.container->is_array()) {
      return frame.path + "[" + std::to_string(frame.next_index++) + "]";
    }
    return frame.path.empty() ? frame.pending_key : frame.path + "." + frame.pending_key;
  }

  Json* Place(Json value) {
    if (frames_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Frame& frame = frames_.back();
    if (frame.container->is_array()) {
      frame.container->push_back(std::move(value));
      return &frame.container->back();
    }
    // Untracked objects keep no key: their content is never read, only their type.
    Json& slot = (*frame.container)[frame.tracked ? frame.pending_key : std::string()];
    slot = std::move(value);
    return &slot;
  }

  bool AddValue(Json value) {
    NextPath();  // keeps array indices in step
    Place(std::move(value));
    return true;
  }

  bool Open(Json empty) {
    std::string path = NextPath();
    Json* container = Place(std::move(empty));
    bool tracked = frames_.size() < kTrackedDepth;
    frames_.push_back(Frame{container, tracked, std::move(path), "", 0, {}});
    return true;
  }

  bool Close() {
    frames_.pop_back();
    return true;
  }

  Json root_;
  std::vector<Frame> frames_;
  std::vector<std::pair<std::string, std::string>> duplicates_;
  std::map<std::string, std::string> float_texts_;
  bool failed_ = false;
  size_t error_position_ = 0;
  std::string error_message_;
};

void CheckKnownFields(const Json& object, std::span<const std::string_view> allowed,
                      std::string_view field, Errors& errors) {
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (auto name : allowed) known = known || name == key;
    if (!known) {
      errors.Add(field, "unknown field " + Quote(key) + " (expected: " + Join(allowed) + ")");
    }
  }
}

// Component names travel in the x-component-instance gRPC header, which cannot carry control
// characters and loses surrounding blanks, so such names are refused up front.
bool IsHeaderSafe(std::string_view name) {
  for (unsigned char c : name) {
    if (c <= 0x20 || c == 0x7F) return false;
  }
  return true;
}

void ParseName(const Json& component, const std::string& field, ComponentSpec& spec,
               Errors& errors) {
  auto it = component.find("name");
  if (it == component.end()) {
    errors.Add(field + ".name", "required, a non-empty string");
  } else if (!it->is_string()) {
    errors.Add(field + ".name",
               std::string("required, a non-empty string, got ") + std::string(Describe(*it)));
  } else if (it->get_ref<const std::string&>().empty()) {
    errors.Add(field + ".name", "required, a non-empty string, got \"\"");
  } else if (!IsHeaderSafe(it->get_ref<const std::string&>())) {
    errors.Add(field + ".name", "must not contain spaces or control characters, got " +
                                    Quote(it->get_ref<const std::string&>()));
  } else {
    spec.name = it->get<std::string>();
  }
}

void ParseType(const Json& component, const std::string& field, ComponentSpec& spec,
               Errors& errors) {
  const std::string type_field = field + ".type";
  constexpr std::string_view kExpected = "\"<kind>.<impl>\" such as \"state.redis\"";
  auto it = component.find("type");
  if (it == component.end()) {
    errors.Add(type_field, "required, a string " + std::string(kExpected));
    return;
  }
  if (!it->is_string()) {
    errors.Add(type_field, "expected a string " + std::string(kExpected) + ", got " +
                               std::string(Describe(*it)));
    return;
  }
  const auto& type = it->get_ref<const std::string&>();
  std::string prefix, impl;
  if (!SplitType(type, &prefix, &impl)) {
    errors.Add(type_field, "expected " + std::string(kExpected) + ", got " + Quote(type));
    return;
  }
  if (KindsForPrefix(prefix).empty()) {
    errors.Add(type_field, "unknown kind " + Quote(prefix) + " in " + Quote(type) +
                               " (known kinds: " + Join(KnownPrefixes()) + ")");
    return;
  }
  spec.type = type;
}

void ParseVersion(const Json& component, const std::string& field, ComponentSpec& spec,
                  Errors& errors) {
  auto it = component.find("version");
  // Dapr treats an empty version like "v1"; so do we, to accept its configs unchanged.
  if (it == component.end() || (it->is_string() && it->get_ref<const std::string&>().empty())) {
    spec.version = std::string(kDefaultVersion);
  } else if (!it->is_string()) {
    errors.Add(field + ".version",
               "expected a string such as \"v1\", got " + std::string(Describe(*it)));
  } else {
    spec.version = it->get<std::string>();
  }
}

void ParseMetadata(const Json& component, const std::string& field,
                   const std::map<std::string, std::string>& float_texts, ComponentSpec& spec,
                   Errors& errors) {
  auto it = component.find("metadata");
  if (it == component.end()) return;
  const std::string metadata_field = field + ".metadata";
  if (!it->is_object()) {
    errors.Add(metadata_field,
               "expected an object of name/value pairs, got " + std::string(Describe(*it)));
    return;
  }
  for (const auto& [key, value] : it->items()) {
    std::string value_field = metadata_field;
    value_field.append(".").append(key);
    if (key.empty()) {
      errors.Add(metadata_field, "field names must be non-empty");
      continue;
    }
    if (value.is_string()) {
      spec.metadata[key] = value.get<std::string>();
    } else if (value.is_boolean()) {
      spec.metadata[key] = value.get<bool>() ? "true" : "false";
    } else if (value.is_number_float()) {
      auto text = float_texts.find(value_field);
      spec.metadata[key] = text != float_texts.end() ? text->second : value.dump();
    } else if (value.is_number()) {
      spec.metadata[key] = value.dump();
    } else {
      errors.Add(value_field,
                 "expected a string, number or boolean, got " + std::string(Describe(value)));
    }
  }
}

void ParseComponents(const Json& components, const std::map<std::string, std::string>& float_texts,
                     HostConfig& config, Errors& errors) {
  std::map<std::string, std::string> first_use;  // name -> field of its first declaration
  for (size_t i = 0; i < components.size(); ++i) {
    const Json& component = components[i];
    const std::string field = "components[" + std::to_string(i) + "]";
    if (!component.is_object()) {
      errors.Add(field, "expected an object with \"name\" and \"type\", got " +
                            std::string(Describe(component)));
      continue;
    }
    ComponentSpec spec;
    spec.field = field;
    CheckKnownFields(component, kComponentFields, field, errors);
    ParseName(component, field, spec, errors);
    ParseType(component, field, spec, errors);
    ParseVersion(component, field, spec, errors);
    ParseMetadata(component, field, float_texts, spec, errors);
    if (!spec.name.empty()) {
      auto [existing, inserted] = first_use.emplace(spec.name, field);
      if (!inserted) {
        errors.Add(field + ".name", Quote(spec.name) + " is already used by " + existing->second);
      }
    }
    config.components.push_back(std::move(spec));
  }
}

// A process name becomes a socket file stem and a log scope: no path separators, no blanks.
std::string ProcessNameProblem(const std::string& name) {
  if (name.empty()) return "required, a non-empty string, got \"\"";
  if (name == "." || name == ".." || name.find('/') != std::string::npos || !IsHeaderSafe(name)) {
    return "must be usable as a socket file name (no '/', spaces or control characters), got " +
           Quote(name);
  }
  return "";
}

void ParseProcessFields(const Json& entry, const std::string& where, ProcessSpec& spec,
                        Errors& errors) {
  CheckKnownFields(entry, kProcessFields, where, errors);
  if (auto it = entry.find("name"); it == entry.end() || !it->is_string()) {
    errors.Add(where + ".name",
               std::string("required, a non-empty string") +
                   (it == entry.end() ? "" : ", got " + std::string(Describe(*it))));
  } else if (auto problem = ProcessNameProblem(it->get<std::string>()); !problem.empty()) {
    errors.Add(where + ".name", problem);
  } else {
    spec.name = it->get<std::string>();
  }
  constexpr std::string_view kCommand =
      "required, a non-empty array of strings such as [\"./my-component\", \"--socket\", "
      "\"{socket}\"]";
  if (auto it = entry.find("command"); it == entry.end() || !it->is_array() || it->empty()) {
    errors.Add(where + ".command",
               std::string(kCommand) +
                   (it == entry.end()
                        ? ""
                        : ", got " + it->dump(-1, ' ', false, Json::error_handler_t::replace)));
  } else {
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& arg = (*it)[i];
      std::string arg_field = where + ".command[" + std::to_string(i) + "]";
      if (!arg.is_string()) {
        errors.Add(arg_field, "expected a string, got " + std::string(Describe(arg)));
      } else if (i == 0 && arg.get_ref<const std::string&>().empty()) {
        errors.Add(arg_field, "the program to run must not be empty");
      } else {
        spec.command.push_back(arg.get<std::string>());
      }
    }
  }
  if (auto it = entry.find("env"); it != entry.end()) {
    if (!it->is_object()) {
      errors.Add(where + ".env", "expected an object of NAME: \"value\" strings, got " +
                                     std::string(Describe(*it)));
    } else {
      for (const auto& [key, value] : it->items()) {
        if (key.empty() || key.find('=') != std::string::npos ||
            key.find('\0') != std::string::npos) {
          errors.Add(where + ".env",
                     "variable names must be non-empty, without '=', got " + Quote(key));
        } else if (!value.is_string()) {
          std::string field = where + ".env.";
          field += key;
          errors.Add(field, "expected a string, got " + std::string(Describe(value)));
        } else {
          spec.env[key] = value.get<std::string>();
        }
      }
    }
  }
  if (auto it = entry.find("workdir"); it != entry.end()) {
    if (it->is_string()) {
      spec.workdir = it->get<std::string>();
    } else {
      errors.Add(where + ".workdir", "expected a string, got " + std::string(Describe(*it)));
    }
  }
  if (auto it = entry.find("restart"); it != entry.end()) {
    std::string value = it->is_string() ? it->get<std::string>() : "";
    if (value == "always") {
      spec.restart = ProcessSpec::Restart::kAlways;
    } else if (value == "on-failure") {
      spec.restart = ProcessSpec::Restart::kOnFailure;
    } else if (value == "never") {
      spec.restart = ProcessSpec::Restart::kNever;
    } else {
      errors.Add(where + ".restart",
                 "expected \"always\", \"on-failure\" or \"never\", got " +
                     (it->is_string() ? Quote(value) : std::string(Describe(*it))));
    }
  }
}

void ParseProcesses(const Json& processes, HostConfig& config, Errors& errors) {
  std::map<std::string, std::string> first_use;  // name -> field of its first declaration
  for (size_t i = 0; i < processes.size(); ++i) {
    const std::string field = "processes[" + std::to_string(i) + "]";
    auto spec = ParseProcessSpec(processes[i], field);
    if (!spec.ok()) {
      // Each line is already "<field>: <problem>"; the source goes in front.
      std::string message(spec.status().message());
      std::string_view lines = message;
      while (!lines.empty()) {
        size_t end = lines.find('\n');
        errors.Add("", lines.substr(0, end));
        lines = end == std::string_view::npos ? std::string_view() : lines.substr(end + 1);
      }
      continue;
    }
    auto [existing, inserted] = first_use.emplace(spec->name, field);
    if (!inserted) {
      errors.Add(field + ".name", Quote(spec->name) + " is already used by " + existing->second);
    }
    config.processes.push_back(std::move(*spec));
  }
}

absl::StatusOr<HostConfig> ParseUnchecked(std::string_view json_text,
                                          std::string_view source_name) {
  Errors errors(source_name);
  // The document is built, walked and copied recursively: refuse absurd nesting up front.
  if (JsonNestingDepth(json_text) > kMaxJsonDepth) {
    errors.Add("", "invalid JSON: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    return errors.ToStatus();
  }
  ConfigSax sax;
  bool parsed = Json::sax_parse(json_text.begin(), json_text.end(), &sax);
  if (!parsed || sax.failed()) {
    auto [line, column] = LineAndColumn(json_text, sax.error_position());
    errors.Add("line " + std::to_string(line) + ", column " + std::to_string(column),
               "invalid JSON: " + (sax.failed() ? sax.error_message() : std::string("unreadable")));
    return errors.ToStatus();
  }
  for (const auto& [path, key] : sax.duplicates()) {
    errors.Add(path, "field " + Quote(key) + " appears more than once");
  }

  const Json& root = sax.root();
  if (!root.is_object()) {
    errors.Add("",
               "expected a JSON object such as {\"app_id\": \"myapp\", \"components\": []}, "
               "got " +
                   std::string(Describe(root)));
    return errors.ToStatus();
  }
  CheckKnownFields(root, kTopLevelFields, "", errors);

  HostConfig config;
  config.source = std::string(source_name);
  if (auto it = root.find("app_id"); it != root.end()) {
    if (it->is_string()) {
      config.app_id = it->get<std::string>();
    } else {
      errors.Add("app_id", "expected a string, got " + std::string(Describe(*it)));
    }
  }
  if (auto it = root.find("components"); it != root.end()) {
    if (it->is_array()) {
      ParseComponents(*it, sax.float_texts(), config, errors);
    } else {
      errors.Add("components",
                 "expected an array of components, got " + std::string(Describe(*it)));
    }
  }
  if (auto it = root.find("processes"); it != root.end()) {
    if (it->is_array()) {
      ParseProcesses(*it, config, errors);
    } else {
      errors.Add("processes", "expected an array of processes, got " + std::string(Describe(*it)));
    }
  }
  ConfigProblems delivery_problems;  // pub/sub delivery fields: host/config/delivery_config.h
  if (auto it = root.find("subscriptions"); it != root.end()) {
    ParseSubscriptions(*it, config, delivery_problems);
  }
  if (auto it = root.find("pubsub_inbound_policies"); it != root.end()) {
    ParseInboundPolicies(*it, config, delivery_problems);
  }
  for (const auto& [field, problem] : delivery_problems) errors.Add(field, problem);
  if (!errors.empty()) return errors.ToStatus();
  return config;
}

}  // namespace

absl::StatusOr<ProcessSpec> ParseProcessSpec(const nlohmann::json& entry, std::string_view where) {
  // Errors without a source: lines are "<where>.<field>: <problem>" for the caller to prefix.
  Errors errors("");
  ProcessSpec spec;
  spec.field = std::string(where);
  if (!entry.is_object()) {
    errors.Add(spec.field, "expected an object with \"name\" and \"command\", got " +
                               std::string(Describe(entry)));
  } else {
    ParseProcessFields(entry, spec.field, spec, errors);
  }
  if (!errors.empty()) return errors.ToStatus();
  return spec;
}

absl::StatusOr<HostConfig> ParseHostConfig(std::string_view json_text,
                                           std::string_view source_name) {
  // Callers rely on a Status, never an exception (the host reports and exits; fuzzers feed junk).
  try {
    return ParseUnchecked(json_text, source_name);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(std::string(source_name) + ": invalid JSON: " + e.what());
  }
}

absl::StatusOr<HostConfig> LoadHostConfig(const std::string& path) {
  auto unreadable = [&path](int error) {
    return absl::InvalidArgumentError("cannot read config file " + path + ": " +
                                      std::strerror(error));
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return unreadable(errno);
  std::string text;
  char buffer[8192];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      int error = errno;  // a directory fails here with EISDIR
      ::close(fd);
      return unreadable(error);
    }
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return ParseHostConfig(text, path);
}

HostConfig EmbeddedDefaults() {
  static constexpr std::string_view kDefaultSecretPrefix = "PLUGHOST_SECRET_";
  // One built-in instance per kind that has a built-in; a new built-in adds one line here.
  static constexpr std::pair<std::string_view, std::string_view> kDefaults[] = {
      {"statestore", "state.in-memory"},
      {"helloworld", "hello.helloworld"},
      {"lockstore", "lock.in-memory"},
      {"sequencer", "sequencer.in-memory"},
      {"secretstore", "secretstores.local.env"},
      {"configstore", "configuration.in-memory"},
      {"pubsub", "pubsub.in-memory"},
  };
  HostConfig config;
  config.source = "embedded defaults";
  for (size_t i = 0; i < std::size(kDefaults); ++i) {
    ComponentSpec spec;
    spec.name = std::string(kDefaults[i].first);
    spec.type = std::string(kDefaults[i].second);
    spec.version = std::string(kDefaultVersion);
    spec.field = "components[" + std::to_string(i) + "]";
    // Any API caller may read the default secret store: it shows only the variables meant
    // for it, never the whole host environment.
    if (spec.type == "secretstores.local.env") spec.metadata["prefix"] = kDefaultSecretPrefix;
    config.components.push_back(std::move(spec));
  }
  return config;
}

}  // namespace plughost
