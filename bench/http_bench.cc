#include "bench/http_bench.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "bench/calls.h"
#include "bench/fixture.h"

namespace plughost::bench {
namespace {

constexpr int kThreads = 8;  // calls in flight, as the gRPC latency rows
constexpr size_t kValueSize = 100;

// One keep-alive HTTP/1.1 connection, blocking: write a request, read one response.
class HttpConnection {
 public:
  explicit HttpConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~HttpConnection() {
    if (fd_ >= 0) ::close(fd_);
  }

  // The status of the answer to `request` (0 on a broken connection); body in `body`.
  int Call(const std::string& request, std::string* body) {
    if (fd_ < 0) return 0;
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      return 0;
    }
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return 0;
    }
    int status = std::atoi(buffer_.c_str() + 9);
    size_t length = 0;
    std::string headers = buffer_.substr(0, header_end);
    std::transform(headers.begin(), headers.end(), headers.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (auto at = headers.find("content-length:"); at != std::string::npos) {
      length = std::strtoul(headers.c_str() + at + 15, nullptr, 10);
    }
    while (buffer_.size() < header_end + 4 + length) {
      if (!Fill()) return 0;
    }
    body->assign(buffer_, header_end + 4, length);
    buffer_.erase(0, header_end + 4 + length);
    return status;
  }

 private:
  bool Fill() {
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
};

struct Case {
  std::string label;
  bool http;
  enum Op { kGet, kSave, kPublish } op;
  std::string component;
};

struct Figures {
  std::vector<int64_t> latencies_ns;
  int64_t errors = 0;
  std::string first_error;
  std::chrono::nanoseconds wall{0};
};

class HttpBench {
 public:
  explicit HttpBench(const BenchOptions& options)
      : options_(options), fixture_(options.binaries, &dir_) {}

  bool Run() {
    if (options_.keep_logs) dir_.Keep();
    std::string sockets = dir_.File("sockets");
    if (!MakeDir(sockets)) return Fail("cannot create the socket folder");
    sample_ = fixture_.StartSample(sockets + "/cpp-sample.sock");
    if (!sample_) return Fail(fixture_.error());
    http_port_ = FreeTcpPort();
    host_ = fixture_.StartHost(
        "http-host", sockets, Transport::kTcp,
        {"--http-address", "127.0.0.1:" + std::to_string(http_port_), "--ops-address", "off"});
    if (!host_.process) return Fail(fixture_.error());
    if (!WaitForTcpPort(http_port_, std::chrono::seconds(10), host_.process.get())) {
      return Fail("the host's HTTP API did not start");
    }
    grpc_ = Connect(host_.target);
    // The value every get reads, saved once per store.
    for (const char* store : {"statestore", "cpp-sample"}) {
      rt::SaveStateRequest save;
      save.set_store_name(store);
      auto* item = save.add_states();
      item->set_key("http-bench");
      item->set_value(std::string(kValueSize, 'v'));
      grpc::ClientContext context;
      google::protobuf::Empty empty;
      auto status = grpc_.dapr->SaveState(&context, save, &empty);
      if (!status.ok()) return Fail("cannot save the bench value: " + status.error_message());
    }

    std::vector<Case> cases;
    for (const char* store : {"statestore", "cpp-sample"}) {
      std::string kind = std::string(store) == "statestore" ? "built-in" : "pluggable";
      for (bool http : {false, true}) {
        cases.push_back(
            {fmt::format("{} GetState {}", http ? "HTTP" : "gRPC", kind), http, Case::kGet, store});
      }
      for (bool http : {false, true}) {
        cases.push_back({fmt::format("{} SaveState {}", http ? "HTTP" : "gRPC", kind), http,
                         Case::kSave, store});
      }
    }
    for (bool http : {false, true}) {
      cases.push_back({fmt::format("{} publish built-in", http ? "HTTP" : "gRPC"), http,
                       Case::kPublish, "pubsub"});
    }
    std::erase_if(cases, [&](const Case& c) {
      return !options_.only.empty() && c.label.find(options_.only) == std::string::npos;
    });

    fmt::print(
        "HTTP API beside gRPC: one host, {} threads in closed loops ({} keep-alive HTTP "
        "connections / one gRPC channel), {}-byte values, {} round(s) of {} ms\n",
        kThreads, kThreads, kValueSize, options_.rounds, options_.duration.count());
    std::vector<Figures> figures(cases.size());
    for (int round = 0; round < options_.rounds; ++round) {
      for (size_t i = 0; i < cases.size(); ++i) {
        Measure(cases[i], options_.warmup);  // warm-up, discarded
        auto measured = Measure(cases[i], options_.duration);
        auto& total = figures[i];
        total.latencies_ns.insert(total.latencies_ns.end(), measured.latencies_ns.begin(),
                                  measured.latencies_ns.end());
        total.errors += measured.errors;
        if (total.first_error.empty()) total.first_error = measured.first_error;
        total.wall += measured.wall;
      }
    }

    fmt::print("  {:<28} {:>10} {:>10} {:>11}\n", "case", "p50 us", "p99 us", "calls/s");
    bool ok = true;
    std::vector<std::array<double, 2>> summary(cases.size());
    for (size_t i = 0; i < cases.size(); ++i) {
      auto& f = figures[i];
      std::sort(f.latencies_ns.begin(), f.latencies_ns.end());
      auto at = [&](double q) {
        if (f.latencies_ns.empty()) return 0.0;
        return f.latencies_ns[static_cast<size_t>(q * (f.latencies_ns.size() - 1))] / 1000.0;
      };
      double rate = f.wall.count() > 0 ? f.latencies_ns.size() * 1e9 / f.wall.count() : 0;
      summary[i] = {at(0.5), rate};
      fmt::print("  {:<28} {:>10.1f} {:>10.1f} {:>11.0f}{}\n", cases[i].label, at(0.5), at(0.99),
                 rate, f.errors ? fmt::format("  ({} errors: {})", f.errors, f.first_error) : "");
      ok = ok && f.errors == 0;
    }
    fmt::print("  ratios HTTP/gRPC (p50, calls/s):\n");
    for (size_t i = 0; i + 1 < cases.size(); i += 2) {
      if (cases[i].http || !cases[i + 1].http) continue;
      fmt::print("    {:<26} p50 x{:.2f}  calls/s x{:.2f}\n", cases[i + 1].label.substr(5),
                 summary[i][0] > 0 ? summary[i + 1][0] / summary[i][0] : 0,
                 summary[i][1] > 0 ? summary[i + 1][1] / summary[i][1] : 0);
    }
    if (!ok) std::fputs("plughost-bench: HTTP bench calls failed\n", stderr);
    return ok;
  }

 private:
  bool Fail(const std::string& why) {
    std::fprintf(stderr, "plughost-bench --http: %s\n", why.c_str());
    return false;
  }

  Figures Measure(const Case& c, std::chrono::milliseconds duration) {
    Figures figures;
    std::vector<Figures> per_thread(kThreads);
    auto start = std::chrono::steady_clock::now();
    auto deadline = start + duration;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] { Loop(c, t, deadline, &per_thread[t]); });
    }
    for (auto& thread : threads) thread.join();
    figures.wall = std::chrono::steady_clock::now() - start;
    for (auto& f : per_thread) {
      figures.latencies_ns.insert(figures.latencies_ns.end(), f.latencies_ns.begin(),
                                  f.latencies_ns.end());
      figures.errors += f.errors;
      if (figures.first_error.empty()) figures.first_error = f.first_error;
    }
    return figures;
  }

  void Loop(const Case& c, int thread, std::chrono::steady_clock::time_point deadline,
            Figures* out) {
    std::string key = c.op == Case::kGet ? "http-bench" : fmt::format("save-{}", thread);
    std::string value(kValueSize, 's');
    std::unique_ptr<HttpConnection> connection;
    std::string request;
    if (c.http) {
      connection = std::make_unique<HttpConnection>(http_port_);
      std::string target, body, method = "POST";
      if (c.op == Case::kGet) {
        method = "GET";
        target = "/v1.0/state/" + c.component + "/" + key;
      } else if (c.op == Case::kSave) {
        target = "/v1.0/state/" + c.component;
        body = R"([{"key":")" + key + R"(","value":")" + value + R"("}])";
      } else {
        target = "/v1.0/publish/" + c.component + "/bench";
        body = R"({"value":")" + value + R"("})";
      }
      request = fmt::format(
          "{} {} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
          "Content-Length: {}\r\n\r\n{}",
          method, target, body.size(), body);
    }
    std::string response_body;
    while (std::chrono::steady_clock::now() < deadline) {
      auto begin = std::chrono::steady_clock::now();
      std::string error;
      if (c.http) {
        int status = connection->Call(request, &response_body);
        bool good = c.op == Case::kGet ? status == 200 && response_body.size() == kValueSize
                                       : status == 204;
        if (!good) error = fmt::format("HTTP {} {}", status, response_body);
      } else {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        grpc::Status status;
        if (c.op == Case::kGet) {
          rt::GetStateRequest get;
          get.set_store_name(c.component);
          get.set_key(key);
          rt::GetStateResponse response;
          status = grpc_.dapr->GetState(&context, get, &response);
          if (status.ok() && response.data().size() != kValueSize) error = "wrong value size";
        } else if (c.op == Case::kSave) {
          rt::SaveStateRequest save;
          save.set_store_name(c.component);
          auto* item = save.add_states();
          item->set_key(key);
          item->set_value('"' + value + '"');
          google::protobuf::Empty empty;
          status = grpc_.dapr->SaveState(&context, save, &empty);
        } else {
          rt::PublishEventRequest publish;
          publish.set_pubsub_name(c.component);
          publish.set_topic("bench");
          publish.set_data(R"({"value":")" + value + R"("})");
          publish.set_data_content_type("application/json");
          google::protobuf::Empty empty;
          status = grpc_.dapr->PublishEvent(&context, publish, &empty);
        }
        if (!status.ok())
          error = fmt::format("code {}: {}", static_cast<int>(status.error_code()),
                              status.error_message());
      }
      if (!error.empty()) {
        if (out->first_error.empty()) out->first_error = error;
        ++out->errors;
        if (c.http) connection = std::make_unique<HttpConnection>(http_port_);
        continue;
      }
      out->latencies_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::steady_clock::now() - begin)
                                      .count());
    }
  }

  const BenchOptions& options_;
  TempDir dir_;
  Fixture fixture_;
  std::unique_ptr<ChildProcess> sample_;
  Served host_;
  Target grpc_;
  int http_port_ = 0;
};

}  // namespace

bool RunHttpBench(const BenchOptions& options) { return HttpBench(options).Run(); }

}  // namespace plughost::bench
