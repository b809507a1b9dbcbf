#include "host/ops/metrics_interceptor.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "host/common/limit_hits.h"
#include "host/registry/instance_table.h"

namespace plughost {
namespace {

// The request field that names the component, per message type, looked up once per type.
const google::protobuf::FieldDescriptor* ComponentField(const google::protobuf::Descriptor* type) {
  static std::mutex mutex;
  static std::unordered_map<const google::protobuf::Descriptor*,
                            const google::protobuf::FieldDescriptor*>
      cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(type);
  if (it != cache.end()) return it->second;
  const google::protobuf::FieldDescriptor* found = nullptr;
  for (const char* name : {"store_name", "storeName", "pubsub_name", "name", "service_name"}) {
    auto* field = type->FindFieldByName(name);
    if (field && field->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
        !field->is_repeated()) {
      found = field;
      break;
    }
  }
  cache.emplace(type, found);
  return found;
}

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(Metrics* metrics, const InstanceTable* instances, std::string method)
      : metrics_(metrics),
        instances_(instances),
        method_(std::move(method)),
        start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using Hook = grpc::experimental::InterceptionHookPoints;
    if (component_.empty() && methods->QueryInterceptionHookPoint(Hook::POST_RECV_MESSAGE)) {
      // Every service the host serves is protobuf, so the message is a protobuf Message.
      if (auto* message = static_cast<google::protobuf::Message*>(methods->GetRecvMessage())) {
        if (auto* field = ComponentField(message->GetDescriptor())) {
          component_ = message->GetReflection()->GetString(*message, field);
          if (!component_.empty() && !instances_->HasName(component_)) {
            component_ = kUnknownComponent;
          }
        }
      }
    }
    if (methods->QueryInterceptionHookPoint(Hook::PRE_SEND_STATUS)) {
      metrics_->RecordCall(method_, component_, methods->GetSendStatus().error_code(),
                           std::chrono::steady_clock::now() - start_);
    }
    methods->Proceed();
  }

 private:
  Metrics* metrics_;
  const InstanceTable* instances_;
  std::string method_;
  std::string component_;
  std::chrono::steady_clock::time_point start_;
};

// "/dapr.proto.runtime.v1.Dapr/GetState" -> "Dapr/GetState". The path is the caller's choice:
// only methods of the protocols compiled into the host keep their name (a fixed set), every
// other path is "unknown", so calls to made-up names cannot add series without bound.
std::string MethodLabel(std::string_view path) {
  auto slash = path.rfind('/');
  if (path.size() < 2 || path[0] != '/' || slash == 0 || slash == std::string_view::npos) {
    limit_hits::Hit(limit_hits::Limit::kUnknownMethodLabel);
    return kUnknownMethod;
  }
  std::string full_name(path.substr(1));
  full_name[slash - 1] = '.';
  // gRPC's own health service is not in the protobuf pool (it is built on upb).
  bool health =
      full_name == "grpc.health.v1.Health.Check" || full_name == "grpc.health.v1.Health.Watch";
  if (!health &&
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full_name) == nullptr) {
    limit_hits::Hit(limit_hits::Limit::kUnknownMethodLabel);
    return kUnknownMethod;
  }
  std::string method(path);
  auto dot = method.rfind('.', slash);
  return dot == std::string::npos ? method.substr(1) : method.substr(dot + 1);
}

class MetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  MetricsInterceptorFactory(Metrics* metrics, const InstanceTable* instances)
      : metrics_(metrics), instances_(instances) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // Every unary method the host serves records itself (host/api/metered_unary_reactor.h).
    // With no interceptor for a call, gRPC skips interception for it (RunInterceptors returns
    // at once when ServerRpcInfo holds none).
    if (info->type() == grpc::experimental::ServerRpcInfo::Type::UNARY) return nullptr;
    return new MetricsInterceptor(metrics_, instances_,
                                  MethodLabel(info->method() ? info->method() : ""));
  }

 private:
  Metrics* metrics_;
  const InstanceTable* instances_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeMetricsInterceptorFactory(Metrics* metrics, const InstanceTable* instances) {
  return std::make_unique<MetricsInterceptorFactory>(metrics, instances);
}

}  // namespace plughost
