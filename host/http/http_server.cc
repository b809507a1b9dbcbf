#include "host/http/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/backoff.h"
#include "host/common/log.h"

namespace plughost {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// What sessions share with the server without owning it.
struct Shared {
  HttpServerOptions options;
  HttpHandler handler;
  absl::Mutex mutex;
  // False once the server stops: replies arriving later are dropped, not posted to a dead
  // io_context.
  bool running ABSL_GUARDED_BY(mutex) = true;
};

class Session;
using SessionRegistry = std::map<Session*, std::shared_ptr<Session>>;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Shared> shared,
          std::function<void(Session*)> on_close)
      : stream_(std::move(socket)), shared_(std::move(shared)), on_close_(std::move(on_close)) {}

  void Start() { WaitForRequest(); }

 private:
  const HttpServerOptions& options() const { return shared_->options; }

  // Phase 1: the idle wait for the first byte of a request (skipped when pipelined bytes wait).
  void WaitForRequest() {
    if (buffer_.size() > 0) return ReadHeader();
    stream_.expires_after(options().idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Finish();
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  // Phase 2: the header, within the header timeout.
  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options().max_header_bytes));
    parser_->body_limit(options().max_body_bytes);
    stream_.expires_after(options().header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->ReadFailed(ec);
                              self->ContinueIfExpected();
                            });
  }

  // A client that sent "Expect: 100-continue" (curl does for larger bodies) waits for this
  // before sending its body, as Go's server (daprd) sends it.
  void ContinueIfExpected() {
    const auto& header = parser_->get();
    auto expect = header.find(http::field::expect);
    if (expect == header.end() || !beast::iequals(expect->value(), "100-continue") ||
        parser_->is_done()) {
      return ReadBody();
    }
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    stream_.expires_after(options().write_timeout);
    asio::async_write(stream_, asio::buffer(kContinue),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Finish();
                        self->ReadBody();
                      });
  }

  // Phase 3: the body, within the body timeout.
  void ReadBody() {
    stream_.expires_after(options().body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->ReadFailed(ec);
                       self->Dispatch();
                     });
  }

  void ReadFailed(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return WriteError(http::status::payload_too_large, "request body too large");
    }
    if (ec == http::error::header_limit) {
      return WriteError(http::status::request_header_fields_too_large, "request header too large");
    }
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      return Finish();
    }
    // Anything else is a malformed request: tell the client once, then close.
    WriteError(http::status::bad_request, "malformed HTTP request: " + ec.message());
  }

  void WriteError(http::status status, const std::string& text) {
    auto response = std::make_shared<HttpResponse>(status, 11);
    response->set(http::field::content_type, "text/plain; charset=utf-8");
    response->body() = text;
    response->keep_alive(false);
    response->prepare_payload();
    Write(response, /*keep_alive=*/false);
  }

  void Dispatch() {
    HttpRequest request = parser_->release();
    parser_.reset();
    bool keep_alive = request.keep_alive();
    unsigned version = request.version();
    // No deadline while the handler works: the handler bounds its own calls.
    stream_.expires_never();
    std::weak_ptr<Session> weak = shared_from_this();
    std::shared_ptr<Shared> shared = shared_;
    HttpReply reply = [weak, shared, keep_alive, version](HttpResponse response) {
      absl::MutexLock lock(&shared->mutex);
      if (!shared->running) return;
      auto self = weak.lock();
      if (!self) return;
      auto owned = std::make_shared<HttpResponse>(std::move(response));
      owned->version(version);
      owned->keep_alive(keep_alive);
      owned->prepare_payload();
      asio::post(self->stream_.get_executor(),
                 [self, owned, keep_alive]() mutable { self->Write(owned, keep_alive); });
    };
    shared_->handler(std::move(request), std::move(reply));
  }

  void Write(const std::shared_ptr<HttpResponse>& response, bool keep_alive) {
    stream_.expires_after(options().write_timeout);
    http::async_write(
        stream_, *response,
        [self = shared_from_this(), response, keep_alive](beast::error_code ec, size_t) {
          if (ec || !keep_alive) return self->Finish();
          self->WaitForRequest();
        });
  }

  void Finish() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    if (on_close_) on_close_(this);
  }

  beast::tcp_stream stream_;
  std::shared_ptr<Shared> shared_;
  std::function<void(Session*)> on_close_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool closed_ = false;  // only touched on the strand
};

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, HttpHandler handler)
      : shared_(std::make_shared<Shared>()), acceptor_(io_), retry_timer_(io_) {
    shared_->options = std::move(options);
    shared_->handler = std::move(handler);
  }

  absl::Status Listen(const std::string& address) {
    auto colon = address.rfind(':');
    if (colon == std::string::npos) return absl::InvalidArgumentError("expected host:port");
    std::string host = address.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(host, ec);
    if (ec) return absl::InvalidArgumentError("'" + host + "' is not an IP address");
    char* end = nullptr;
    long port = std::strtol(address.c_str() + colon + 1, &end, 10);
    if (colon + 1 == address.size() || *end != '\0' || port < 0 || port > 65535) {
      return absl::InvalidArgumentError("'" + address.substr(colon + 1) + "' is not a port");
    }
    tcp::endpoint endpoint(ip, static_cast<unsigned short>(port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return absl::UnavailableError(fmt::format("cannot listen on {}: {}", address, ec.message()));
    auto bound = acceptor_.local_endpoint();
    address_ = bound.address().is_v6()
                   ? fmt::format("[{}]:{}", bound.address().to_string(), bound.port())
                   : fmt::format("{}:{}", bound.address().to_string(), bound.port());
    Accept();
    int threads = std::max(1, shared_->options.threads);
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { io_.run(); });
    }
    return absl::OkStatus();
  }

  void Stop() {
    {
      absl::MutexLock lock(&shared_->mutex);
      shared_->running = false;
    }
    io_.stop();
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    // Sockets go while the io_context still exists.
    SessionRegistry sessions;
    {
      absl::MutexLock lock(&sessions_mutex_);
      sessions.swap(sessions_);
    }
    sessions.clear();
  }

  const std::string& address() const { return address_; }

 private:
  void Accept() {
    // `this` outlives every handler: Stop joins the threads and io_ dies with the Impl.
    acceptor_.async_accept(
        asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
          if (ec == asio::error::operation_aborted) return;
          if (OutOfResources(ec)) return AcceptLater(ec);
          if (!ec) Admit(std::move(socket));
          if (!ec && accept_failures_ > 0) {
            PH_LOG_INFO("host", "{}: accepting connections again", shared_->options.name);
            accept_failures_ = 0;
            accept_backoff_.Reset();
          }
          Accept();
        });
  }

  static bool OutOfResources(const beast::error_code& ec) {
    return ec == asio::error::no_descriptors || ec == asio::error::no_memory ||
           ec == asio::error::no_buffer_space || ec.value() == ENFILE;
  }

  // Out of descriptors: accepting again at once would spin; the kernel's backlog holds new
  // connections while this waits. Only the accept chain's handler calls it, never two at once.
  void AcceptLater(const beast::error_code& ec) {
    auto delay = accept_backoff_.NextDelay();
    if (accept_failures_++ % 100 == 0) {
      PH_LOG_WARN("host", "{}: cannot accept connections: {}; trying again in {} ms",
                  shared_->options.name, ec.message(), delay.count());
    }
    retry_timer_.expires_after(delay);
    retry_timer_.async_wait([this](beast::error_code waited) {
      if (waited == asio::error::operation_aborted) return;
      Accept();
    });
  }

  void Admit(tcp::socket socket) {
    std::shared_ptr<Session> session;
    {
      absl::MutexLock lock(&sessions_mutex_);
      if (sessions_.size() >= shared_->options.max_connections) {
        limit_hits::Hit(shared_->options.connections_full_limit);
        Refuse(std::move(socket));
        return;
      }
      // Called on an io thread only, so `this` is alive.
      session = std::make_shared<Session>(std::move(socket), shared_, [this](Session* closed) {
        std::shared_ptr<Session> last;  // released after the lock
        absl::MutexLock lock(&sessions_mutex_);
        auto it = sessions_.find(closed);
        if (it == sessions_.end()) return;
        last = std::move(it->second);
        sessions_.erase(it);
      });
      sessions_[session.get()] = session;
    }
    session->Start();
  }

  // Over the connection bound: a short 503, then close.
  static void Refuse(tcp::socket socket) {
    static const std::string kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 32\r\n"
        "Connection: close\r\n\r\ntoo many connections; try again\n";
    auto owned = std::make_shared<tcp::socket>(std::move(socket));
    asio::async_write(*owned, asio::buffer(kBusy), [owned](beast::error_code, size_t) {
      beast::error_code ignored;
      owned->shutdown(tcp::socket::shutdown_both, ignored);
      owned->close(ignored);
    });
  }

  std::shared_ptr<Shared> shared_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  std::string address_;
  asio::steady_timer retry_timer_;
  // The accept chain runs one handler at a time, so these need no lock.
  Backoff accept_backoff_{
      Backoff::Options{std::chrono::milliseconds(10), 2.0, 0.2, std::chrono::milliseconds(1000)}};
  uint64_t accept_failures_ = 0;
  absl::Mutex sessions_mutex_;
  SessionRegistry sessions_ ABSL_GUARDED_BY(sessions_mutex_);
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& address,
                                                              HttpServerOptions options,
                                                              HttpHandler handler) {
  auto impl = std::make_shared<Impl>(std::move(options), std::move(handler));
  if (auto status = impl->Listen(address); !status.ok()) return status;
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() { impl_->Stop(); }

const std::string& HttpServer::address() const { return impl_->address(); }

}  // namespace plughost
