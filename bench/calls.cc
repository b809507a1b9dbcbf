#include "bench/calls.h"

#include <utility>

namespace plughost::bench {
namespace {

using Done = std::function<void(grpc::Status)>;

grpc::Status WrongSize(size_t got, size_t expected) {
  return grpc::Status(
      grpc::StatusCode::DATA_LOSS,
      "value of " + std::to_string(got) + " bytes, expected " + std::to_string(expected));
}

}  // namespace

Target Connect(const std::string& address) {
  Target target;
  target.channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  target.dapr = rt::Dapr::NewStub(target.channel);
  target.state_store = statepb::StateStore::NewStub(target.channel);
  return target;
}

std::string ValueKey(size_t size) { return "k-" + std::to_string(size); }

SlotFactory DaprGetState(rt::Dapr::Stub* stub, std::string store, std::string key,
                         size_t expected_size) {
  return [=](int) -> StartCall {
    auto request = std::make_shared<rt::GetStateRequest>();
    request->set_store_name(store);
    request->set_key(key);
    auto response = std::make_shared<rt::GetStateResponse>();
    return [stub, request, response, expected_size](grpc::ClientContext* context, Done done) {
      response->Clear();
      stub->async()->GetState(context, request.get(), response.get(),
                              [response, expected_size, done = std::move(done)](grpc::Status s) {
                                if (s.ok() && response->data().size() != expected_size) {
                                  s = WrongSize(response->data().size(), expected_size);
                                }
                                done(std::move(s));
                              });
    };
  };
}

SlotFactory DaprSaveState(rt::Dapr::Stub* stub, std::string store, std::string key,
                          std::string value, bool key_per_slot) {
  return [=](int index) -> StartCall {
    auto request = std::make_shared<rt::SaveStateRequest>();
    request->set_store_name(store);
    auto* item = request->add_states();
    item->set_key(key_per_slot ? key + "-" + std::to_string(index) : key);
    item->set_value(value);
    auto response = std::make_shared<google::protobuf::Empty>();
    return [stub, request, response](grpc::ClientContext* context, Done done) {
      stub->async()->SaveState(context, request.get(), response.get(), std::move(done));
    };
  };
}

SlotFactory DaprPublishEvent(rt::Dapr::Stub* stub, std::string pubsub, std::string topic,
                             std::string data) {
  return [=](int) -> StartCall {
    auto request = std::make_shared<rt::PublishEventRequest>();
    request->set_pubsub_name(pubsub);
    request->set_topic(topic);
    request->set_data(data);
    request->set_data_content_type("application/octet-stream");
    auto response = std::make_shared<google::protobuf::Empty>();
    return [stub, request, response](grpc::ClientContext* context, Done done) {
      stub->async()->PublishEvent(context, request.get(), response.get(), std::move(done));
    };
  };
}

SlotFactory ComponentGet(statepb::StateStore::Stub* stub, std::string key, size_t expected_size) {
  return [=](int) -> StartCall {
    auto request = std::make_shared<statepb::GetRequest>();
    request->set_key(key);
    auto response = std::make_shared<statepb::GetResponse>();
    return [stub, request, response, expected_size](grpc::ClientContext* context, Done done) {
      response->Clear();
      stub->async()->Get(context, request.get(), response.get(),
                         [response, expected_size, done = std::move(done)](grpc::Status s) {
                           if (s.ok() && response->data().size() != expected_size) {
                             s = WrongSize(response->data().size(), expected_size);
                           }
                           done(std::move(s));
                         });
    };
  };
}

SlotFactory ComponentSet(statepb::StateStore::Stub* stub, std::string key, std::string value) {
  return [=](int) -> StartCall {
    auto request = std::make_shared<statepb::SetRequest>();
    request->set_key(key);
    request->set_value(value);
    auto response = std::make_shared<statepb::SetResponse>();
    return [stub, request, response](grpc::ClientContext* context, Done done) {
      stub->async()->Set(context, request.get(), response.get(), std::move(done));
    };
  };
}

SlotFactory RoundRobin(std::vector<SlotFactory> factories) {
  return [factories = std::move(factories)](int index) {
    return factories[static_cast<size_t>(index) % factories.size()](index);
  };
}

grpc::Status CallOnce(const SlotFactory& factory) {
  LoadSpec spec;
  spec.max_calls = 1;
  LoadResult result = RunLoad(spec, factory);
  if (result.calls == 1 && result.errors == 0) return grpc::Status::OK;
  if (result.first_error.empty())
    return grpc::Status(grpc::StatusCode::UNKNOWN, "no call completed");
  return grpc::Status(result.first_error_code, result.first_error);
}

}  // namespace plughost::bench
