// Minimal leveled logger: one line per event, written atomically to stderr.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

#ifndef ABSL_USES_STD_STRING_VIEW
// Debian builds abseil with its own string_view type (what absl::Status::message() returns);
// let fmt print it like std::string_view so messages can be formatted directly.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(absl::string_view text, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(text.data(), text.size()),
                                                    ctx);
  }
};
#endif

namespace plughost::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug" | "info" | "warn" | "error"; returns false on anything else.
bool ParseLevel(std::string_view text, Level* level);
void SetLevel(Level level);
void SetJsonFormat(bool json);
bool Enabled(Level level);
void Write(Level level, std::string_view component, std::string_view message);
// Control characters as \n, \r, \t or \xNN, so text someone else chose stays on one line.
std::string EscapeControl(std::string_view text);

template <typename... Args>
void Log(Level level, std::string_view component, fmt::format_string<Args...> format,
         Args&&... args) {
  if (!Enabled(level)) return;
  Write(level, component, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace plughost::log

#define PH_LOG_DEBUG(component, ...) \
  ::plughost::log::Log(::plughost::log::Level::kDebug, component, __VA_ARGS__)
#define PH_LOG_INFO(component, ...) \
  ::plughost::log::Log(::plughost::log::Level::kInfo, component, __VA_ARGS__)
#define PH_LOG_WARN(component, ...) \
  ::plughost::log::Log(::plughost::log::Level::kWarn, component, __VA_ARGS__)
#define PH_LOG_ERROR(component, ...) \
  ::plughost::log::Log(::plughost::log::Level::kError, component, __VA_ARGS__)
