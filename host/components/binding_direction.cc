#include "host/components/binding_direction.h"

#include <cctype>
#include <optional>
#include <string_view>

#include "common/equals_ignoring_case.h"

namespace plughost {
namespace {

constexpr std::string_view kDirectionKey = "direction";

std::string_view Trim(std::string_view text) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

// nullopt without direction metadata; otherwise whether one of its values names `side`.
std::optional<bool> DirectionNames(const std::map<std::string, std::string>& metadata,
                                   std::string_view side) {
  std::optional<bool> named;
  for (const auto& [key, value] : metadata) {
    if (!EqualsIgnoringCase(key, kDirectionKey)) continue;
    named = false;
    std::string_view rest = value;
    while (true) {
      size_t comma = rest.find(',');
      if (EqualsIgnoringCase(Trim(rest.substr(0, comma)), side)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return named;
}

std::string_view SideOf(ComponentKind kind) {
  return kind == ComponentKind::kInputBinding ? "input" : "output";
}

}  // namespace

bool BindingServesAs(const std::map<std::string, std::string>& metadata, ComponentKind kind) {
  return DirectionNames(metadata, SideOf(kind)).value_or(true);
}

bool BindingDirectionNames(const std::map<std::string, std::string>& metadata, ComponentKind kind) {
  return DirectionNames(metadata, SideOf(kind)).value_or(false);
}

}  // namespace plughost
