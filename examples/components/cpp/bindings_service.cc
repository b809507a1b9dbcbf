#include "examples/components/cpp/bindings_service.h"

#include <algorithm>
#include <utility>

#include "sdk/cpp/unary_reaction.h"

namespace plughost::sample {
namespace {

constexpr char kKeyMetadata[] = "key";

std::string MetadataValue(const bindingspb::InvokeRequest& request, const char* key) {
  auto it = request.metadata().find(key);
  return it == request.metadata().end() ? std::string() : it->second;
}

// One Read call. Events go out through the outbox; acks come in through OnReadDone. However the
// stream ends, the instance takes back the events it had not acked.
class ReadStream final : public ReadOutbox::Reactor {
 public:
  explicit ReadStream(std::shared_ptr<BindingInstance> instance)
      : instance_(std::move(instance)), outbox_(std::make_shared<ReadOutbox>(this)) {
    StartRead(&ack_);
    instance_->AddReader(outbox_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the host cancelled or half-closed: no more acks can come
      End(grpc::Status::OK);
      return;
    }
    instance_->Ack(outbox_.get(), ack_);
    StartRead(&ack_);
  }
  void OnWriteDone(bool ok) override {
    outbox_->OnWriteDone(ok);
    if (!ok) End(grpc::Status::CANCELLED);
  }
  void OnCancel() override { End(grpc::Status::CANCELLED); }
  void OnDone() override {
    instance_->RemoveReader(outbox_.get());
    outbox_->Detach();
    delete this;
  }

 private:
  void End(grpc::Status status) {
    instance_->RemoveReader(outbox_.get());
    outbox_->Finish(std::move(status));
  }

  std::shared_ptr<BindingInstance> instance_;
  std::shared_ptr<ReadOutbox> outbox_;
  bindingspb::ReadRequest ack_;
};

}  // namespace

void ReadOutbox::Send(bindingspb::ReadResponse event) {
  Next next;
  {
    std::lock_guard lock(mutex_);
    if (reactor_ == nullptr || finish_) return;
    queue_.push_back(std::move(event));
    next = PlanLocked();
  }
  Do(next);
}

void ReadOutbox::Finish(grpc::Status status) {
  Next next;
  {
    std::lock_guard lock(mutex_);
    if (finish_) return;
    finish_ = std::move(status);
    queue_.clear();
    next = PlanLocked();
  }
  Do(next);
}

void ReadOutbox::OnWriteDone(bool ok) {
  Next next;
  {
    std::lock_guard lock(mutex_);
    writing_ = false;
    if (!ok) queue_.clear();  // the stream is broken; the reactor finishes it
    next = PlanLocked();
  }
  Do(next);
}

void ReadOutbox::Detach() {
  std::lock_guard lock(mutex_);
  reactor_ = nullptr;
}

ReadOutbox::Next ReadOutbox::PlanLocked() {
  if (reactor_ == nullptr || writing_ || finished_) return Next::kNothing;
  target_ = reactor_;
  if (!queue_.empty()) {
    current_ = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    return Next::kWrite;
  }
  if (finish_) {
    finished_ = true;
    return Next::kFinish;
  }
  return Next::kNothing;
}

// `target_` cannot be gone: OnDone comes only after the Finish this (or a later) step starts,
// and only this step touches `current_` and `finish_` until the write or Finish is done.
void ReadOutbox::Do(Next next) {
  switch (next) {
    case Next::kWrite:
      target_->StartWrite(&current_);
      break;
    case Next::kFinish:
      target_->Finish(*finish_);
      break;
    case Next::kNothing:
      break;
  }
}

std::vector<std::string> BindingInstance::Operations() {
  return {"create", "get", "list", "echo", "acks", "fail"};
}

grpc::Status BindingInstance::Init(const std::map<std::string, std::string>& /*metadata*/) {
  return grpc::Status::OK;
}

grpc::Status BindingInstance::Invoke(const bindingspb::InvokeRequest& request,
                                     bindingspb::InvokeResponse* response) {
  const std::string& operation = request.operation();
  Sends sends;
  {
    std::lock_guard lock(mutex_);
    if (operation == "create") {
      std::string key = MetadataValue(request, kKeyMetadata);
      if (key.empty()) key = "record-" + std::to_string(next_record_++);
      records_[key] = request.data();
      Event event;
      event.key = key;
      event.message.set_data(request.data());
      (*event.message.mutable_metadata())[kKeyMetadata] = key;
      (*event.message.mutable_metadata())["operation"] = "create";
      event.message.set_message_id("evt-" + std::to_string(next_event_++));
      pending_.push_back(std::move(event));
      (*response->mutable_metadata())[kKeyMetadata] = key;
      DispatchLocked(&sends);
    } else if (operation == "get") {
      std::string key = MetadataValue(request, kKeyMetadata);
      if (key.empty()) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "metadata \"key\" is required");
      }
      auto it = records_.find(key);
      if (it == records_.end()) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND, "record " + key + " not found");
      }
      response->set_data(it->second);
    } else if (operation == "list") {
      nlohmann::json keys = nlohmann::json::array();
      for (const auto& [key, data] : records_) keys.push_back(key);
      response->set_data(keys.dump());
      response->set_content_type("application/json");
    } else if (operation == "echo") {
      response->set_data(request.data());
      response->mutable_metadata()->insert(request.metadata().begin(), request.metadata().end());
    } else if (operation == "acks") {
      response->set_data(acks_.dump());
      response->set_content_type("application/json");
    } else if (operation == "fail") {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, request.data());
    } else {
      return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                          "unsupported operation \"" + operation + "\"");
    }
  }
  Deliver(std::move(sends));
  return grpc::Status::OK;
}

void BindingInstance::AddReader(const std::shared_ptr<ReadOutbox>& reader) {
  Sends sends;
  {
    std::lock_guard lock(mutex_);
    readers_.push_back(reader);
    DispatchLocked(&sends);
  }
  Deliver(std::move(sends));
}

void BindingInstance::RemoveReader(const ReadOutbox* reader) {
  Sends sends;
  {
    std::lock_guard lock(mutex_);
    auto gone = std::remove_if(readers_.begin(), readers_.end(),
                               [reader](const auto& r) { return r.get() == reader; });
    if (gone == readers_.end()) return;  // already removed
    readers_.erase(gone, readers_.end());
    // Unacked events go back to the front, oldest first, for the next stream.
    std::vector<Event> unacked;
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
      if (it->second.reader == reader) {
        unacked.push_back(std::move(it->second.event));
        it = in_flight_.erase(it);
      } else {
        ++it;
      }
    }
    std::sort(unacked.begin(), unacked.end(), [](const Event& a, const Event& b) {
      return a.message.message_id().size() != b.message.message_id().size()
                 ? a.message.message_id().size() < b.message.message_id().size()
                 : a.message.message_id() < b.message.message_id();
    });
    pending_.insert(pending_.begin(), std::make_move_iterator(unacked.begin()),
                    std::make_move_iterator(unacked.end()));
    DispatchLocked(&sends);
  }
  Deliver(std::move(sends));
}

void BindingInstance::Ack(const ReadOutbox* reader, const bindingspb::ReadRequest& ack) {
  Sends sends;
  {
    std::lock_guard lock(mutex_);
    auto it = in_flight_.find(ack.message_id());
    // Unknown, or re-sent to another stream since: this ack is stale.
    if (it == in_flight_.end() || it->second.reader != reader) return;
    Event event = std::move(it->second.event);
    in_flight_.erase(it);
    nlohmann::json entry = {
        {"messageId", ack.message_id()}, {"key", event.key}, {"attempt", event.attempts}};
    if (ack.has_response_error()) {
      entry["error"] = ack.response_error().message();
      if (event.attempts < kMaxAttempts) pending_.push_back(std::move(event));
    } else {
      entry["data"] = ack.response_data();
    }
    acks_.push_back(std::move(entry));
    DispatchLocked(&sends);
  }
  Deliver(std::move(sends));
}

void BindingInstance::DispatchLocked(Sends* sends) {
  while (!pending_.empty() && !readers_.empty()) {
    const auto& reader = readers_[next_reader_++ % readers_.size()];
    Event event = std::move(pending_.front());
    pending_.pop_front();
    event.attempts++;
    sends->emplace_back(reader, event.message);
    std::string id = event.message.message_id();
    in_flight_[id] = Sent{std::move(event), reader.get()};
  }
}

void BindingInstance::Deliver(Sends sends) {
  for (auto& [reader, message] : sends) reader->Send(std::move(message));
}

grpc::ServerUnaryReactor* InputBindingService::Init(
    grpc::CallbackServerContext* context, const bindingspb::InputBindingInitRequest* request,
    bindingspb::InputBindingInitResponse* /*response*/) {
  return sdk::ReactUnary(context, [&] {
    const auto& properties = request->metadata().properties();
    return instances_->For(*context)->Init({properties.begin(), properties.end()});
  });
}

grpc::ServerBidiReactor<bindingspb::ReadRequest, bindingspb::ReadResponse>*
InputBindingService::Read(grpc::CallbackServerContext* context) {
  return new ReadStream(instances_->For(*context));
}

grpc::ServerUnaryReactor* InputBindingService::Ping(grpc::CallbackServerContext* context,
                                                    const bindingspb::PingRequest* /*request*/,
                                                    bindingspb::PingResponse* /*response*/) {
  return sdk::ReactUnary(context, [] { return grpc::Status::OK; });
}

grpc::ServerUnaryReactor* OutputBindingService::Init(
    grpc::CallbackServerContext* context, const bindingspb::OutputBindingInitRequest* request,
    bindingspb::OutputBindingInitResponse* /*response*/) {
  return sdk::ReactUnary(context, [&] {
    const auto& properties = request->metadata().properties();
    return instances_->For(*context)->Init({properties.begin(), properties.end()});
  });
}

grpc::ServerUnaryReactor* OutputBindingService::Invoke(grpc::CallbackServerContext* context,
                                                       const bindingspb::InvokeRequest* request,
                                                       bindingspb::InvokeResponse* response) {
  return sdk::ReactUnary(context,
                         [&] { return instances_->For(*context)->Invoke(*request, response); });
}

grpc::ServerUnaryReactor* OutputBindingService::ListOperations(
    grpc::CallbackServerContext* context, const bindingspb::ListOperationsRequest* /*request*/,
    bindingspb::ListOperationsResponse* response) {
  return sdk::ReactUnary(context, [&] {
    for (const std::string& operation : BindingInstance::Operations()) {
      response->add_operations(operation);
    }
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* OutputBindingService::Ping(grpc::CallbackServerContext* context,
                                                     const bindingspb::PingRequest* /*request*/,
                                                     bindingspb::PingResponse* /*response*/) {
  return sdk::ReactUnary(context, [] { return grpc::Status::OK; });
}

}  // namespace plughost::sample
