#include "host/app_http/http_client.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <unordered_set>
#include <exception>
#include <thread>

#include "host/common/log.h"

namespace plughost {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Everything below runs on the I/O thread, so the pool needs no lock.
class HttpClient::Impl : public std::enable_shared_from_this<HttpClient::Impl> {
 public:
  explicit Impl(Options options)
      : options_(std::move(options)), work_(asio::make_work_guard(io_)) {}

  void Run() {
    thread_ = std::thread([this] { io_.run(); });
  }

  // Ends every request in flight (their `done` sees an error), then the I/O thread.
  void Stop() {
    if (stopped_.exchange(true)) return;
    asio::post(io_, [this] {
      for (const auto& exchange : in_flight_) {
        if (exchange->stream) exchange->stream->socket().cancel();
      }
      idle_.clear();
      work_.reset();  // run() returns once the cancelled operations have completed
    });
    if (thread_.joinable()) thread_.join();
  }

  void Send(HttpRequest request, std::chrono::milliseconds timeout, Done done) {
    if (stopped_) {
      done(grpc::Status(grpc::StatusCode::CANCELLED, "the host is stopping"), {});
      return;
    }
    asio::post(io_, [self = shared_from_this(), request = std::move(request), timeout,
                     done = std::move(done)]() mutable {
      auto exchange = std::make_shared<Exchange>(std::move(request), timeout, std::move(done));
      self->in_flight_.insert(exchange);
      self->Start(exchange);
    });
  }

 private:
  // One request and its answer; may try twice (a reused connection the server had closed).
  struct Exchange {
    Exchange(HttpRequest request, std::chrono::milliseconds timeout, Done done)
        : request(std::move(request)), timeout(timeout), done(std::move(done)) {}
    HttpRequest request;
    std::chrono::milliseconds timeout;
    Done done;
    std::unique_ptr<beast::tcp_stream> stream;
    bool reused = false;
    bool retried = false;
    http::request<http::string_body> wire;
    beast::flat_buffer buffer;
    std::unique_ptr<http::response_parser<http::string_body>> parser;
  };
  using ExchangePtr = std::shared_ptr<Exchange>;

  void Start(const ExchangePtr& exchange) {
    if (stopped_) {
      Complete(exchange, grpc::Status(grpc::StatusCode::CANCELLED, "the host is stopping"), {});
      return;
    }
    if (!idle_.empty() && !exchange->retried) {
      exchange->stream = std::move(idle_.back());
      idle_.pop_back();
      exchange->reused = true;
      Write(exchange);
      return;
    }
    exchange->reused = false;
    exchange->stream = std::make_unique<beast::tcp_stream>(io_);
    Arm(*exchange);
    if (!endpoints_.empty()) {
      Connect(exchange);
      return;
    }
    auto resolver = std::make_shared<tcp::resolver>(io_);
    resolver->async_resolve(options_.host, options_.port,
                            [self = shared_from_this(), resolver, exchange](
                                beast::error_code error, tcp::resolver::results_type results) {
                              if (error) return self->Fail(exchange, error, "resolving");
                              self->endpoints_ = std::move(results);
                              self->Connect(exchange);
                            });
  }

  void Arm(Exchange& exchange) {
    if (exchange.timeout.count() > 0) {
      exchange.stream->expires_after(exchange.timeout);
    } else {
      exchange.stream->expires_never();
    }
  }

  void Connect(const ExchangePtr& exchange) {
    exchange->stream->async_connect(endpoints_, [self = shared_from_this(), exchange](
                                                    beast::error_code error, const tcp::endpoint&) {
      if (error) return self->Fail(exchange, error, "connecting");
      self->Write(exchange);
    });
  }

  void Write(const ExchangePtr& exchange) {
    Arm(*exchange);
    auto& wire = exchange->wire;
    wire = {};
    wire.method(http::string_to_verb(exchange->request.method));
    wire.target(exchange->request.target);
    wire.version(11);
    wire.set(http::field::host, options_.host + ":" + options_.port);
    wire.set(http::field::user_agent, "plughost");
    for (const auto& [name, value] : exchange->request.headers) wire.insert(name, value);
    wire.body() = exchange->request.body;
    wire.keep_alive(true);
    wire.prepare_payload();
    http::async_write(*exchange->stream, wire,
                      [self = shared_from_this(), exchange](beast::error_code error, size_t) {
                        if (error) return self->Fail(exchange, error, "sending");
                        self->Read(exchange);
                      });
  }

  void Read(const ExchangePtr& exchange) {
    exchange->buffer.clear();
    exchange->parser = std::make_unique<http::response_parser<http::string_body>>();
    exchange->parser->body_limit(options_.max_response_bytes);
    // OPTIONS and HEAD answers carry no body even when they announce one.
    if (exchange->wire.method() == http::verb::head) exchange->parser->skip(true);
    http::async_read(*exchange->stream, exchange->buffer, *exchange->parser,
                     [self = shared_from_this(), exchange](beast::error_code error, size_t) {
                       if (error) return self->Fail(exchange, error, "reading the answer");
                       self->Finish(exchange);
                     });
  }

  void Finish(const ExchangePtr& exchange) {
    auto message = exchange->parser->release();
    HttpResponse response;
    response.status = static_cast<int>(message.result_int());
    response.body = std::move(message.body());
    for (const auto& field : message) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    if (message.keep_alive() && idle_.size() < options_.max_idle_connections) {
      exchange->stream->expires_never();
      idle_.push_back(std::move(exchange->stream));
    }
    Complete(exchange, grpc::Status::OK, std::move(response));
  }

  void Fail(const ExchangePtr& exchange, const beast::error_code& error, const char* step) {
    // A kept-alive connection the app closed meanwhile fails at once: try a fresh one.
    if (exchange->reused && !exchange->retried && error != beast::error::timeout && !stopped_) {
      exchange->retried = true;
      exchange->stream.reset();
      Start(exchange);
      return;
    }
    exchange->stream.reset();
    auto code = error == beast::error::timeout ? grpc::StatusCode::DEADLINE_EXCEEDED
                                               : grpc::StatusCode::UNAVAILABLE;
    Complete(exchange,
             grpc::Status(code, "app at " + options_.host + ":" + options_.port + ": " + step +
                                    " " + exchange->request.method + " " +
                                    exchange->request.target + " failed: " + error.message()),
             {});
  }

  void Complete(const ExchangePtr& exchange, grpc::Status status, HttpResponse response) {
    in_flight_.erase(exchange);
    Done done = std::move(exchange->done);
    try {
      done(std::move(status), std::move(response));
    } catch (const std::exception& e) {
      PH_LOG_ERROR("app", "an HTTP completion threw: {}", e.what());
    } catch (...) {
      PH_LOG_ERROR("app", "an HTTP completion threw");
    }
  }

  const Options options_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  tcp::resolver::results_type endpoints_;
  std::vector<std::unique_ptr<beast::tcp_stream>> idle_;
  std::unordered_set<ExchangePtr> in_flight_;
  std::atomic<bool> stopped_{false};
};

HttpClient::HttpClient(Options options)
    : options_(options), impl_(std::make_shared<Impl>(std::move(options))) {
  impl_->Run();
}

HttpClient::~HttpClient() { Stop(); }

void HttpClient::Stop() { impl_->Stop(); }

void HttpClient::Send(HttpRequest request, std::chrono::milliseconds timeout, Done done) {
  impl_->Send(std::move(request), timeout, std::move(done));
}

}  // namespace plughost
