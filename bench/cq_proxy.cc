#include "bench/cq_proxy.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "bench/fake_servers.h"

namespace plughost::bench {
namespace {

// Calls each queue keeps asked for, so that a burst of 32 arriving calls finds a waiting
// request instead of queueing inside the server.
constexpr int kRequestsPerQueue = 32;

// One proxied call, driven by the events of the one queue it lives on. Every step is started
// from the thread that polled the previous one's completion, and the next tag is `this`.
class CqForwardedCall {
 public:
  CqForwardedCall(grpc::AsyncGenericService* service, grpc::ServerCompletionQueue* queue,
                  grpc::GenericStub* stub)
      : service_(service), queue_(queue), stub_(stub), stream_(&context_) {
    service_->RequestCall(&context_, &stream_, queue_, queue_, this);
  }

  // Called with each completion of this call's last step. Deletes the call when it is done.
  void Proceed(bool ok) {
    switch (step_) {
      case Step::kWaitingForCall:
        if (!ok) {  // the server is shutting down
          delete this;
          return;
        }
        new CqForwardedCall(service_, queue_, stub_);  // keep the queue's requests topped up
        step_ = Step::kReadingRequest;
        stream_.Read(&request_, this);
        return;
      case Step::kReadingRequest:
        if (!ok) {
          step_ = Step::kFinishing;
          stream_.Finish(grpc::Status(grpc::StatusCode::INTERNAL, "proxy: no request"), this);
          return;
        }
        step_ = Step::kForwarding;
        upstream_context_.set_deadline(context_.deadline());
        upstream_ =
            stub_->PrepareUnaryCall(&upstream_context_, context_.method(), request_, queue_);
        upstream_->StartCall();
        upstream_->Finish(&response_, &upstream_status_, this);
        return;
      case Step::kForwarding:
        step_ = Step::kFinishing;
        if (upstream_status_.ok()) {
          stream_.WriteAndFinish(response_, grpc::WriteOptions(), upstream_status_, this);
        } else {
          stream_.Finish(upstream_status_, this);
        }
        return;
      case Step::kFinishing:
        delete this;
        return;
    }
  }

 private:
  enum class Step { kWaitingForCall, kReadingRequest, kForwarding, kFinishing };

  grpc::AsyncGenericService* service_;
  grpc::ServerCompletionQueue* queue_;
  grpc::GenericStub* stub_;
  grpc::GenericServerContext context_;
  grpc::GenericServerAsyncReaderWriter stream_;
  grpc::ClientContext upstream_context_;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> upstream_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  grpc::Status upstream_status_;
  Step step_ = Step::kWaitingForCall;
};

// One polling thread by default: then every step of every call runs on the thread that polled
// it, which is what the experiment measures. With more (PLUGHOST_BENCH_CQ_THREADS=N), gRPC
// 1.51's epoll engine still has one thread at a time in epoll_wait and wakes the owner of each
// queue, and the hand-offs (and their cost) come back.
int ServingThreads() {
  const char* value = std::getenv("PLUGHOST_BENCH_CQ_THREADS");
  int threads = value != nullptr ? std::atoi(value) : 0;
  return threads > 0 ? threads : 1;
}

}  // namespace

int ServeCqProxy(const std::string& listen, const std::string& target) {
  sigset_t signals = BlockTermination();
  grpc::GenericStub stub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::AsyncGenericService service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials());
  builder.RegisterAsyncGenericService(&service);
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues;
  const int threads = ServingThreads();
  queues.reserve(threads);
  for (int i = 0; i < threads; ++i) queues.push_back(builder.AddCompletionQueue());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "cq proxy: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::vector<std::thread> pollers;
  pollers.reserve(queues.size());
  for (auto& queue : queues) {
    for (int i = 0; i < kRequestsPerQueue; ++i) new CqForwardedCall(&service, queue.get(), &stub);
    pollers.emplace_back([queue = queue.get()] {
      void* tag = nullptr;
      bool ok = false;
      while (queue->Next(&tag, &ok)) static_cast<CqForwardedCall*>(tag)->Proceed(ok);
    });
  }
  std::fprintf(stderr, "cq proxy: forwarding %s to %s with %d polling threads\n", listen.c_str(),
               target.c_str(), threads);
  WaitForTermination(signals);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  for (auto& queue : queues) queue->Shutdown();
  for (auto& poller : pollers) poller.join();
  RemoveUnixSocketFile(listen);
  return 0;
}

}  // namespace plughost::bench
