// libFuzzer target: the JSON config parser (host/config). Any input must either parse into a
// config that keeps the parser's promises, or fail with INVALID_ARGUMENT whose every line names
// the file; never crash, leak or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "host/components/kind.h"
#include "host/config/host_config.h"

namespace {

constexpr std::string_view kSource = "fuzzed.json";

[[noreturn]] void Broken(const char* promise, std::string_view detail) {
  std::fprintf(stderr, "config parser broke its promise: %s (%.*s)\n", promise,
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void CheckError(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    Broken("errors are INVALID_ARGUMENT", std::string(status.ToString()));
  }
  // Debian's abseil has its own string_view type.
  std::string_view message(status.message().data(), status.message().size());
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string_view::npos) end = message.size();
    std::string_view line = message.substr(start, end - start);
    if (line.substr(0, kSource.size() + 2) != std::string(kSource) + ": ") {
      Broken("every error line names the file", line);
    }
    start = end + 1;
  }
}

void CheckConfig(const plughost::HostConfig& config) {
  std::set<std::string> names;
  for (const auto& component : config.components) {
    if (component.name.empty()) Broken("components have names", component.field);
    if (component.version.empty()) Broken("components have versions", component.field);
    std::string prefix, impl;
    if (!plughost::SplitType(component.type, &prefix, &impl) || impl.empty() ||
        plughost::KindsForPrefix(prefix).empty()) {
      Broken("types are <known kind>.<impl>", component.type);
    }
    if (!names.insert(component.name).second) Broken("names are unique", component.name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = plughost::ParseHostConfig(text, kSource);
  if (config.ok()) {
    CheckConfig(*config);
  } else {
    CheckError(config.status());
  }
  return 0;
}
