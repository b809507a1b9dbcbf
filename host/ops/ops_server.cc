#include "host/ops/ops_server.h"

#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "host/http/http_server.h"
#include "host/ops/readiness.h"
#include "host/registry/instance_table.h"

namespace plughost {

namespace http = boost::beast::http;

namespace {

// The ops port serves probes and scrapers: small GETs, answered at once. Its clients need no
// long idle connections, so a client that holds one without finishing a request (slowloris)
// is dropped sooner than on the API port; the bound keeps such clients from taking every
// descriptor, and is high enough that a few hundred of them leave room for the probes.
HttpServerOptions OpsServerOptions() {
  HttpServerOptions options;
  options.name = "operator endpoints";
  options.max_body_bytes = 64 << 10;
  options.max_header_bytes = 16 << 10;
  options.idle_timeout = std::chrono::seconds(5);
  options.header_timeout = std::chrono::seconds(5);
  options.body_timeout = std::chrono::seconds(5);
  options.write_timeout = std::chrono::seconds(30);
  options.max_connections = kOpsMaxConnections;
  options.connections_full_limit = limit_hits::Limit::kOpsConnectionsFull;
  // Two threads: rendering a large /metrics does not hold up /healthz.
  options.threads = 2;
  return options;
}

bool HasQueryFlag(std::string_view query, std::string_view flag) {
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view item = query.substr(start, end - start);
    if (item == flag || (item.size() > flag.size() && item.substr(0, flag.size()) == flag &&
                         item[flag.size()] == '=')) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

}  // namespace

class OpsServer::Impl {
 public:
  explicit Impl(Sources sources) : sources_(std::move(sources)) {}

  absl::Status Listen(const std::string& address) {
    auto server = HttpServer::Start(
        address, OpsServerOptions(),
        [this](HttpRequest&& request, const HttpReply& reply) { reply(Answer(request)); });
    if (!server.ok()) return server.status();
    server_ = std::move(*server);
    return absl::OkStatus();
  }

  // Stops the server (joining its threads) before the sources go.
  void Stop() { server_.reset(); }

  const std::string& address() const { return server_->address(); }

 private:
  HttpResponse Answer(const HttpRequest& request) const {
    HttpResponse response;
    response.set(http::field::server, "plughost");
    std::string_view target(request.target().data(), request.target().size());
    std::string_view query;
    if (auto mark = target.find('?'); mark != std::string_view::npos) {
      query = target.substr(mark + 1);
      target = target.substr(0, mark);
    }
    if (request.method() != http::verb::get) {
      response.result(http::status::method_not_allowed);
      response.body() = "only GET\n";
    } else if (target == "/healthz") {
      response.result(http::status::ok);
      response.body() = "ok\n";
    } else if (target == "/readyz") {
      auto readiness = RenderReadiness(
          *sources_.instances, sources_.processes ? ReadinessProblems(sources_.processes()) : "",
          HasQueryFlag(query, "verbose"));
      response.result(readiness.ready ? http::status::ok : http::status::service_unavailable);
      response.body() = std::move(readiness.body);
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
    return response;
  }

  Sources sources_;
  std::unique_ptr<HttpServer> server_;
};

absl::StatusOr<std::unique_ptr<OpsServer>> OpsServer::Start(const std::string& address,
                                                            Sources sources) {
  auto impl = std::make_unique<Impl>(std::move(sources));
  if (auto status = impl->Listen(address); !status.ok()) return status;
  return std::unique_ptr<OpsServer>(new OpsServer(std::move(impl)));
}

OpsServer::OpsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OpsServer::~OpsServer() { impl_->Stop(); }

const std::string& OpsServer::address() const { return impl_->address(); }

}  // namespace plughost
