// hello.helloworld: answers SayHello with the configured "hello" metadata (default "greetings").
#pragma once

#include <mutex>
#include <string>

#include "host/components/hello.h"

namespace plughost {

class HelloWorld : public HelloService {
 public:
  void Init(const InitSpec& spec, StatusCallback done) override;
  std::vector<std::string> Features() const override { return {}; }
  void Ping(StatusCallback done) override { done(grpc::Status::OK); }
  void SayHello(std::string name, const CallOptions& options, Callback<std::string> done) override;

 private:
  std::mutex mutex_;
  std::string greeting_ = "greetings";
};

}  // namespace plughost
