#include <grpcpp/server_context.h>

#include <fmt/format.h>

#include "host/api/api_context.h"
#include "host/api/api_errors.h"

namespace plughost {
namespace {

// Compares in time independent of where the strings differ, so the token can't be guessed
// byte by byte from response times.
bool SameToken(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ b[i % (b.empty() ? 1 : b.size())];
  return diff == 0 && !b.empty();
}

}  // namespace

grpc::Status Authorize(const ApiContext& context, const grpc::CallbackServerContext* call) {
  if (context.api_token.empty()) return grpc::Status::OK;
  const auto& metadata = call->client_metadata();
  auto it = metadata.find("dapr-api-token");
  if (it == metadata.end() ||
      !SameToken(std::string_view(it->second.data(), it->second.size()), context.api_token)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "authentication error: api token mismatch");
  }
  return grpc::Status::OK;
}

InstancePtr ResolveInstance(const ApiContext& context, const grpc::CallbackServerContext* call,
                            ComponentKind kind, const std::string& name, grpc::Status* error,
                            const LookupWording* wording) {
  if (auto status = Authorize(context, call); !status.ok()) {
    *error = status;
    return nullptr;
  }
  auto instance = context.instances->Find(kind, name);
  if (!instance) {
    if (context.instances->HasKind(kind)) {
      *error = wording ? wording->not_found(name) : api_errors::NotFound(kind, name);
    } else {
      *error = wording ? wording->not_configured(name) : api_errors::NotConfigured(kind, name);
    }
    return nullptr;
  }
  auto& health = *instance->health;
  if (!health.ready()) {
    *error = grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        fmt::format("{} {} is unavailable: {}", KindDisplayName(kind), name, health.reason()));
    return nullptr;
  }
  if (context.max_concurrent_calls <= 0) return instance;
  if (health.inflight.fetch_add(1, std::memory_order_relaxed) >= context.max_concurrent_calls) {
    health.inflight.fetch_sub(1, std::memory_order_relaxed);
    *error = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          fmt::format("too many concurrent calls to {} {} (limit {})",
                                      KindDisplayName(kind), name, context.max_concurrent_calls));
    return nullptr;
  }
  // Same object, but releasing the last copy gives the in-flight slot back.
  const InstanceInfo* raw = instance.get();
  return InstancePtr(raw, [keep = std::move(instance)](const InstanceInfo*) {
    keep->health->inflight.fetch_sub(1, std::memory_order_relaxed);
  });
}

InstancePtr ResolveOrFinish(const ApiContext& context, grpc::CallbackServerContext* call,
                            MeteredUnaryReactor* reactor, ComponentKind kind,
                            const std::string& name, const LookupWording* wording) {
  grpc::Status error;
  auto instance = ResolveInstance(context, call, kind, name, &error, wording);
  if (instance) {
    reactor->NoteFound(name);
  } else {
    reactor->Finish(error);
  }
  return instance;
}

}  // namespace plughost
