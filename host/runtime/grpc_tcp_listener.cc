#include "host/runtime/grpc_tcp_listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <thread>

#include "common/backoff.h"
#include "host/common/limit_hits.h"
#include "host/common/log.h"
#include "host/runtime/handed_over_connections.h"

namespace plughost {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class GrpcTcpListener::Impl {
 public:
  explicit Impl(size_t max_connections)
      : max_connections_(max_connections), acceptor_(io_), retry_timer_(io_) {}

  bool Bind(const std::string& host, int port, std::string* error) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
    if (ec) {
      tcp::resolver resolver(io_);
      auto results = resolver.resolve(host, std::to_string(port), ec);
      if (ec || results.empty()) {
        *error = "cannot resolve " + host + ": " + ec.message();
        return false;
      }
      address = results.begin()->endpoint().address();
    }
    tcp::endpoint endpoint(address, static_cast<uint16_t>(port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (ec) {
      *error = ec.message();
      return false;
    }
    port_ = acceptor_.local_endpoint().port();
    return true;
  }

  bool Start(std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor,
             std::string* error) {
    boost::system::error_code ec;
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      *error = ec.message();
      return false;
    }
    grpc_acceptor_ = std::move(acceptor);
    Accept();
    thread_ = std::thread([this] { io_.run(); });
    return true;
  }

  void Stop() {
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      retry_timer_.cancel();
    });
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }

 private:
  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code error, tcp::socket socket) {
      if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (error) return Failed(error);
      if (failures_ > 0) {
        PH_LOG_INFO("host", "accepting API connections again after {} failed attempt(s)",
                    failures_);
        failures_ = 0;
        backoff_.Reset();
      }
      if (max_connections_ == 0 || open_.HasRoom(max_connections_)) {
        HandOver(std::move(socket));
      } else {
        Refuse(std::move(socket));
      }
      Accept();
    });
  }

  // Out of descriptors (or memory): wait and try again; the backlog keeps new connections.
  void Failed(const boost::system::error_code& error) {
    bool resource = error == asio::error::no_descriptors || error == asio::error::no_memory ||
                    error == asio::error::no_buffer_space || error.value() == ENFILE;
    if (!resource) {  // e.g. a client that reset before we accepted: just go on
      Accept();
      return;
    }
    auto delay = backoff_.NextDelay();
    if (failures_++ % 100 == 0) {
      PH_LOG_WARN("host",
                  "cannot accept API connections: {}; trying again in {} ms (raise the "
                  "descriptor limit, or fewer idle clients)",
                  error.message(), delay.count());
    }
    retry_timer_.expires_after(delay);
    retry_timer_.async_wait([this](boost::system::error_code waited) {
      if (waited == asio::error::operation_aborted || !acceptor_.is_open()) return;
      Accept();
    });
  }

  // Over the bound: closed at once, so the client sees the refusal instead of a hang. gRPC
  // clients reconnect with their own backoff.
  void Refuse(tcp::socket socket) {
    limit_hits::Hit(limit_hits::Limit::kGrpcConnectionsFull);
    if (refused_++ % 1000 == 0) {
      PH_LOG_WARN("host",
                  "refusing API connections: {} are open (--max-connections); {} refused so far",
                  max_connections_, refused_);
    }
    boost::system::error_code ignored;
    socket.close(ignored);
  }

  void HandOver(tcp::socket socket) {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    // gRPC's poller needs a non-blocking descriptor (its own listener sets this; an
    // externally accepted one must arrive so), and none may leak into child processes.
    socket.non_blocking(true, ignored);
    grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters connection;
    connection.listener_fd = acceptor_.native_handle();
    connection.fd = socket.release(ignored);
    if (connection.fd < 0) return;
    ::fcntl(connection.fd, F_SETFD, FD_CLOEXEC);
    if (max_connections_ > 0) open_.Add(connection.fd);
    grpc_acceptor_->HandleNewConnection(&connection);
  }

  const size_t max_connections_;  // 0: no bound
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  Backoff backoff_{
      Backoff::Options{std::chrono::milliseconds(10), 2.0, 0.2, std::chrono::milliseconds(1000)}};
  uint64_t failures_ = 0;       // consecutive; touched on the I/O thread only
  HandedOverConnections open_;  // I/O thread only
  uint64_t refused_ = 0;        // I/O thread only
  int port_ = 0;
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> grpc_acceptor_;
  std::thread thread_;
};

std::unique_ptr<GrpcTcpListener> GrpcTcpListener::Bind(const std::string& host, int port,
                                                       size_t max_connections, std::string* error) {
  auto impl = std::make_unique<Impl>(max_connections);
  if (!impl->Bind(host, port, error)) return nullptr;
  return std::unique_ptr<GrpcTcpListener>(new GrpcTcpListener(std::move(impl)));
}

GrpcTcpListener::GrpcTcpListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GrpcTcpListener::~GrpcTcpListener() { impl_->Stop(); }

int GrpcTcpListener::port() const { return impl_->port(); }

bool GrpcTcpListener::Start(
    std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor, std::string* error) {
  return impl_->Start(std::move(acceptor), error);
}

}  // namespace plughost
