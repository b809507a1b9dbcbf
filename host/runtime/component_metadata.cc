#include "host/runtime/component_metadata.h"

#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include "host/pubsub/cloud_events.h"

namespace plughost {
namespace {

void ReplaceAll(std::string* text, std::string_view placeholder,
                const std::function<std::string()>& value) {
  for (size_t at = text->find(placeholder); at != std::string::npos;
       at = text->find(placeholder, at)) {
    std::string replacement = value();
    text->replace(at, placeholder.size(), replacement);
    at += replacement.size();
  }
}

bool Blank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

}  // namespace

MetadataContext ProcessMetadataContext(std::string app_id) {
  MetadataContext context;
  context.app_id = std::move(app_id);
  context.env = [](const char* name) -> std::string {
    const char* value = std::getenv(name);
    return value ? value : "";
  };
  context.host_name = [] {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return std::string();
    return std::string(name);
  };
  context.new_uuid = [] { return cloud_events::NewUuid(); };
  return context;
}

void PrepareComponentMetadata(ComponentKind kind, const MetadataContext& context,
                              std::map<std::string, std::string>* metadata) {
  for (auto& [name, value] : *metadata) {
    if (value.find('{') == std::string::npos) continue;
    ReplaceAll(&value, "{uuid}", context.new_uuid);
    ReplaceAll(&value, "{podName}", [&] {
      std::string pod = context.env("POD_NAME");
      return pod.empty() ? context.host_name() : pod;
    });
    ReplaceAll(&value, "{namespace}", [&] {
      std::string ns = context.env("NAMESPACE");
      return (ns.empty() ? std::string("default") : ns) + "." + context.app_id;
    });
    ReplaceAll(&value, "{appID}", [&] { return context.app_id; });
  }
  if (kind == ComponentKind::kPubSub && !context.app_id.empty()) {
    auto it = metadata->find("consumerID");
    if (it == metadata->end() || Blank(it->second)) (*metadata)["consumerID"] = context.app_id;
  }
}

}  // namespace plughost
