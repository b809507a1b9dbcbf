#include "sdk/cpp/component.h"

namespace plughost::sdk {

grpc::Status Component::Init(const Metadata& /*metadata*/) { return grpc::Status::OK; }

std::vector<std::string> Component::Features() { return {}; }

grpc::Status Component::Ping() { return grpc::Status::OK; }

}  // namespace plughost::sdk
