#include "host/ops/ops_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <thread>

#include "host/common/log.h"
#include "host/registry/instance_table.h"

namespace plughost {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class OpsServer::Impl : public std::enable_shared_from_this<OpsServer::Impl> {
 public:
  explicit Impl(Sources sources) : sources_(std::move(sources)), acceptor_(io_) {}

  absl::Status Listen(const std::string& address) {
    auto colon = address.rfind(':');
    if (colon == std::string::npos) return absl::InvalidArgumentError("expected host:port");
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(address.substr(0, colon), ec);
    if (ec)
      return absl::InvalidArgumentError("'" + address.substr(0, colon) + "' is not an IP address");
    int port = std::atoi(address.substr(colon + 1).c_str());
    tcp::endpoint endpoint(ip, static_cast<unsigned short>(port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return absl::UnavailableError(fmt::format("cannot listen on {}: {}", address, ec.message()));
    auto bound = acceptor_.local_endpoint();
    address_ = fmt::format("{}:{}", bound.address().to_string(), bound.port());
    Accept();
    thread_ = std::thread([self = shared_from_this()] { self->io_.run(); });
    return absl::OkStatus();
  }

  void Stop() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  const std::string& address() const { return address_; }

 private:
  // One short-lived session per connection: read a request, answer it, close.
  struct Session : std::enable_shared_from_this<Session> {
    Session(tcp::socket socket, std::shared_ptr<Impl> server)
        : socket(std::move(socket)), server(std::move(server)) {}
    tcp::socket socket;
    std::shared_ptr<Impl> server;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
  };

  void Accept() {
    acceptor_.async_accept(
        [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
          if (ec) return;  // stopped
          auto session = std::make_shared<Session>(std::move(socket), self);
          http::async_read(session->socket, session->buffer, session->request,
                           [session](boost::system::error_code ec, size_t) {
                             if (ec) return;
                             session->server->Answer(*session);
                             http::async_write(session->socket, session->response,
                                               [session](boost::system::error_code, size_t) {
                                                 boost::system::error_code ignored;
                                                 session->socket.shutdown(
                                                     tcp::socket::shutdown_both, ignored);
                                               });
                           });
          self->Accept();
        });
  }

  void Answer(Session& session) {
    auto& response = session.response;
    response.version(session.request.version());
    response.keep_alive(false);
    response.set(http::field::server, "plughost");
    std::string target(session.request.target());
    if (auto query = target.find('?'); query != std::string::npos) target.resize(query);
    if (session.request.method() != http::verb::get) {
      response.result(http::status::method_not_allowed);
      response.body() = "only GET\n";
    } else if (target == "/healthz") {
      response.result(http::status::ok);
      response.body() = "ok\n";
    } else if (target == "/readyz") {
      std::string not_ready;
      if (sources_.processes) not_ready += ReadinessProblems(sources_.processes());
      for (const auto& instance : sources_.instances->All()) {
        if (!instance->health->counts_as_ready()) {
          not_ready += fmt::format("{} {} ({}): {}\n", KindPrefix(instance->kind), instance->name,
                                   instance->type, instance->health->reason());
        }
      }
      response.result(not_ready.empty() ? http::status::ok : http::status::service_unavailable);
      response.body() = not_ready.empty() ? "ready\n" : "not ready:\n" + not_ready;
    } else if (target == "/metrics") {
      response.result(http::status::ok);
      response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response.body() = sources_.metrics->Render(
          *sources_.instances, sources_.supervisor ? sources_.supervisor() : nullptr);
      if (sources_.processes) response.body() += RenderProcessMetrics(sources_.processes());
    } else {
      response.result(http::status::not_found);
      response.body() = "not found; try /healthz, /readyz or /metrics\n";
    }
    if (response[http::field::content_type].empty()) {
      response.set(http::field::content_type, "text/plain; charset=utf-8");
    }
    response.prepare_payload();
  }

  Sources sources_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::string address_;
};

absl::StatusOr<std::unique_ptr<OpsServer>> OpsServer::Start(const std::string& address,
                                                            Sources sources) {
  auto impl = std::make_shared<Impl>(std::move(sources));
  if (auto status = impl->Listen(address); !status.ok()) return status;
  return std::unique_ptr<OpsServer>(new OpsServer(std::move(impl)));
}

OpsServer::~OpsServer() { impl_->Stop(); }

const std::string& OpsServer::address() const { return impl_->address(); }

}  // namespace plughost
