#include "host/ops/metrics_interceptor.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "host/registry/instance_table.h"

namespace plughost {
namespace {

// The request field that names the component, per message type, looked up once per type.
const google::protobuf::FieldDescriptor* ComponentField(const google::protobuf::Descriptor* type) {
  static std::mutex mutex;
  static std::unordered_map<const google::protobuf::Descriptor*,
                            const google::protobuf::FieldDescriptor*> cache;
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
    // "/dapr.proto.runtime.v1.Dapr/GetState" -> "Dapr/GetState"
    std::string method = info->method() ? info->method() : "";
    auto dot = method.rfind('.', method.rfind('/'));
    if (dot != std::string::npos) method = method.substr(dot + 1);
    return new MetricsInterceptor(metrics_, instances_, std::move(method));
  }

 private:
  Metrics* metrics_;
  const InstanceTable* instances_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeMetricsInterceptorFactory(
    Metrics* metrics, const InstanceTable* instances) {
  return std::make_unique<MetricsInterceptorFactory>(metrics, instances);
}

}  // namespace plughost
