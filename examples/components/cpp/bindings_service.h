// dapr.proto.components.v1.InputBinding and OutputBinding over per-instance records. The two
// services share their instances (by the x-component-instance name), so what the output side
// creates, the input side emits:
//
// Output operations (ListOperations order): create, get, list, echo, acks, fail.
//   create  stores data under metadata "key" (default "record-<n>"); answers metadata {"key"};
//           and queues an event {data, metadata {"key", "operation": "create"}} for the
//           instance's Read streams
//   get     metadata "key" -> the record's data (NOT_FOUND when missing)
//   list    JSON array of the record keys, sorted
//   echo    answers the request's data and metadata unchanged
//   acks    JSON array of every ack received, in order: {"messageId", "key", "attempt", and
//           "data" (the host's response data) or "error" (the ack's error message)}
//   fail    fails with FAILED_PRECONDITION and the request's data as message
//
// Delivery is at-least-once: an event waits until a Read stream is open; one sent on a stream
// that ends unacked is sent again on the next stream; one acked with an error is sent again at
// once, up to 3 attempts in all.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dapr/proto/components/v1/bindings.grpc.pb.h"
#include "sdk/cpp/instance_map.h"

namespace plughost::sample {

namespace bindingspb = ::dapr::proto::components::v1;

// The events waiting for one Read stream, written one at a time. Shared with the instance,
// which may send after the stream is gone (then nothing is sent).
class ReadOutbox {
 public:
  using Reactor = grpc::ServerBidiReactor<bindingspb::ReadRequest, bindingspb::ReadResponse>;
  explicit ReadOutbox(Reactor* reactor) : reactor_(reactor) {}

  void Send(bindingspb::ReadResponse event);
  // Ends the stream once the write in flight (if any) is done; later sends are dropped.
  void Finish(grpc::Status status);
  void OnWriteDone(bool ok);
  // The reactor is done; later calls do nothing.
  void Detach();

 private:
  // Under the lock, picks what to do next; the caller does it with the lock released.
  enum class Next { kNothing, kWrite, kFinish };
  Next PlanLocked();
  void Do(Next next);

  std::mutex mutex_;
  Reactor* reactor_;
  Reactor* target_ = nullptr;  // the reactor the planned step acts on
  std::deque<bindingspb::ReadResponse> queue_;
  bindingspb::ReadResponse current_;
  bool writing_ = false;
  std::optional<grpc::Status> finish_;
  bool finished_ = false;
};

class BindingInstance {
 public:
  static constexpr int kMaxAttempts = 3;

  static std::vector<std::string> Operations();
  // Nothing to configure: every instance accepts any metadata.
  grpc::Status Init(const std::map<std::string, std::string>& metadata);
  grpc::Status Invoke(const bindingspb::InvokeRequest& request,
                      bindingspb::InvokeResponse* response);

  // A Read stream opened: pending events go to it.
  void AddReader(const std::shared_ptr<ReadOutbox>& reader);
  // A Read stream ended: its unacked events wait for the next one.
  void RemoveReader(const ReadOutbox* reader);
  void Ack(const ReadOutbox* reader, const bindingspb::ReadRequest& ack);

 private:
  struct Event {
    bindingspb::ReadResponse message;
    std::string key;
    int attempts = 0;
  };
  struct Sent {
    Event event;
    const ReadOutbox* reader;
  };
  using Sends = std::vector<std::pair<std::shared_ptr<ReadOutbox>, bindingspb::ReadResponse>>;

  // Hands pending events to open streams, round robin; the caller sends with the lock released.
  void DispatchLocked(Sends* sends);
  static void Deliver(Sends sends);

  std::mutex mutex_;
  std::map<std::string, std::string> records_;
  std::deque<Event> pending_;
  std::map<std::string, Sent> in_flight_;  // by message id
  std::vector<std::shared_ptr<ReadOutbox>> readers_;
  size_t next_reader_ = 0;
  nlohmann::json acks_ = nlohmann::json::array();
  uint64_t next_record_ = 1;
  uint64_t next_event_ = 1;
};

using BindingInstances = sdk::InstanceMap<BindingInstance>;

class InputBindingService final : public bindingspb::InputBinding::CallbackService {
 public:
  explicit InputBindingService(std::shared_ptr<BindingInstances> instances)
      : instances_(std::move(instances)) {}

  grpc::ServerUnaryReactor* Init(grpc::CallbackServerContext* context,
                                 const bindingspb::InputBindingInitRequest* request,
                                 bindingspb::InputBindingInitResponse* response) override;
  grpc::ServerBidiReactor<bindingspb::ReadRequest, bindingspb::ReadResponse>* Read(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const bindingspb::PingRequest* request,
                                 bindingspb::PingResponse* response) override;

 private:
  std::shared_ptr<BindingInstances> instances_;
};

class OutputBindingService final : public bindingspb::OutputBinding::CallbackService {
 public:
  explicit OutputBindingService(std::shared_ptr<BindingInstances> instances)
      : instances_(std::move(instances)) {}

  grpc::ServerUnaryReactor* Init(grpc::CallbackServerContext* context,
                                 const bindingspb::OutputBindingInitRequest* request,
                                 bindingspb::OutputBindingInitResponse* response) override;
  grpc::ServerUnaryReactor* Invoke(grpc::CallbackServerContext* context,
                                   const bindingspb::InvokeRequest* request,
                                   bindingspb::InvokeResponse* response) override;
  grpc::ServerUnaryReactor* ListOperations(grpc::CallbackServerContext* context,
                                           const bindingspb::ListOperationsRequest* request,
                                           bindingspb::ListOperationsResponse* response) override;
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const bindingspb::PingRequest* request,
                                 bindingspb::PingResponse* response) override;

 private:
  std::shared_ptr<BindingInstances> instances_;
};

}  // namespace plughost::sample
