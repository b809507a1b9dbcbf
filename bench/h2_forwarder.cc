#include "bench/h2_forwarder.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/byte_buffer.h>
#include <nghttp2/nghttp2.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "bench/fake_servers.h"

namespace plughost::bench {
namespace {

constexpr size_t kGrpcPrefix = 5;  // compressed flag + 4-byte big-endian length

// One call on the connection: its framed request being written, its response being read.
struct Stream {
  std::string request;  // prefix + message
  size_t sent = 0;
  std::string response;  // DATA as received: prefix + message
  int http_status = 0;
  int grpc_status = -1;  // from the trailers (or a Trailers-Only response); -1: none came
  std::string grpc_message;
  uint32_t reset_code = 0;       // HTTP/2 error code when the stream was reset
  bool connection_lost = false;  // closed because the connection is gone
  H2Forwarder::Done done;
};

using Streams = std::vector<std::unique_ptr<Stream>>;

nghttp2_nv Header(std::string_view name, std::string_view value) {
  // nghttp2 copies names and values at submission (no NO_COPY flags), so views are enough.
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

// grpc-timeout: at most 8 digits, so coarser units for long deadlines (rounded up).
std::string GrpcTimeout(std::chrono::microseconds timeout) {
  long long value = timeout.count();
  const char* unit = "u";
  for (const char* coarser : {"m", "S", "H"}) {
    if (value <= 99999999) break;
    value = value / (std::string_view(coarser) == "H" ? 3600 : 1000) + 1;
    unit = coarser;
  }
  return std::to_string(std::min(value, 99999999LL)) + unit;
}

// grpc-message is percent-encoded on the wire.
std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      char hex[3] = {text[i + 1], text[i + 2], '\0'};
      char* end = nullptr;
      long byte = std::strtol(hex, &end, 16);
      if (end == hex + 2) {
        out.push_back(static_cast<char>(byte));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// What gRPC itself reports for a stream that ended without grpc-status.
grpc::Status StatusWithoutTrailers(const Stream& stream) {
  if (stream.connection_lost) {
    return {grpc::StatusCode::UNAVAILABLE, "h2 forwarder: connection to the component lost"};
  }
  if (stream.reset_code == NGHTTP2_REFUSED_STREAM) {
    return {grpc::StatusCode::UNAVAILABLE, "h2 forwarder: stream refused"};
  }
  if (stream.reset_code == NGHTTP2_CANCEL) {
    return {grpc::StatusCode::CANCELLED, "h2 forwarder: stream cancelled"};
  }
  return {stream.http_status == 200 ? grpc::StatusCode::INTERNAL : grpc::StatusCode::UNKNOWN,
          "h2 forwarder: no grpc-status (HTTP " + std::to_string(stream.http_status) +
              ", HTTP/2 error " + std::to_string(stream.reset_code) + ")"};
}

// Runs each stream's completion with its status and message; outside the session lock.
void Complete(Streams streams) {
  for (auto& stream : streams) {
    if (stream->grpc_status < 0) {
      stream->done(StatusWithoutTrailers(*stream), {});
      continue;
    }
    auto code = static_cast<grpc::StatusCode>(stream->grpc_status);
    if (stream->grpc_status > grpc::StatusCode::UNAUTHENTICATED) code = grpc::StatusCode::UNKNOWN;
    grpc::Status status(code, stream->grpc_message);
    std::string& body = stream->response;
    if (status.ok()) {
      uint32_t length = 0;
      if (body.size() >= kGrpcPrefix) std::memcpy(&length, body.data() + 1, 4);
      // One uncompressed message, exactly: all a unary answer may hold.
      if (body.size() < kGrpcPrefix || body[0] != 0 || ntohl(length) != body.size() - kGrpcPrefix) {
        stream->done({grpc::StatusCode::INTERNAL, "h2 forwarder: malformed response body"}, {});
        continue;
      }
      body.erase(0, kGrpcPrefix);
    }
    stream->done(status, status.ok() ? std::move(body) : std::string());
  }
}

}  // namespace

// The connection. `mutex` guards the session and the stream tables: callers submit and write
// under it, the I/O thread feeds received bytes under it; completions run after it is released.
struct H2Forwarder::Impl {
  int fd = -1;
  int epoll_fd = -1;
  int wake_fd = -1;  // eventfd: tells the I/O thread to stop
  std::thread io;

  std::mutex mutex;
  nghttp2_session* session = nullptr;
  bool would_block = false;  // the last write met a full socket: EPOLLOUT is armed
  bool broken = false;       // connection lost; new calls fail at once (no reconnect)
  std::map<int32_t, std::unique_ptr<Stream>> streams;
  Streams finished;  // closed, completion not yet run

  ~Impl() {
    if (session != nullptr) nghttp2_session_del(session);
    for (int descriptor : {fd, epoll_fd, wake_fd}) {
      if (descriptor >= 0) ::close(descriptor);
    }
  }

  Stream* Find(int32_t id) {
    auto it = streams.find(id);
    return it == streams.end() ? nullptr : it->second.get();
  }

  void CloseLocked(int32_t id, uint32_t error_code) {
    auto it = streams.find(id);
    if (it == streams.end()) return;
    it->second->reset_code = error_code;
    finished.push_back(std::move(it->second));
    streams.erase(it);
  }

  // Gives up on the connection: every open call completes with UNAVAILABLE.
  void BreakLocked() {
    if (broken) return;
    broken = true;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    for (auto& [id, stream] : streams) {
      stream->connection_lost = true;
      finished.push_back(std::move(stream));
    }
    streams.clear();
  }

  // Writes what nghttp2 has queued. The socket is non-blocking: when it fills, the rest stays
  // in nghttp2 and the I/O thread finishes it on EPOLLOUT.
  void SendLocked() {
    if (broken) return;
    bool was_blocked = would_block;
    would_block = false;  // the send callback sets it again if the socket is still full
    if (nghttp2_session_send(session) != 0) {
      BreakLocked();
      return;
    }
    if (would_block != was_blocked) {
      epoll_event event{};
      event.events = EPOLLIN | (would_block ? EPOLLOUT : 0U);
      event.data.fd = fd;
      ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &event);
    }
    // GOAWAY received and nothing left to do: this experiment does not reconnect.
    if (nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0) {
      BreakLocked();
    }
  }

  void IoLoop() {
    std::vector<uint8_t> buffer(64 * 1024);
    std::array<epoll_event, 2> events{};
    for (;;) {
      int count = ::epoll_wait(epoll_fd, events.data(), events.size(), -1);
      if (count < 0 && errno != EINTR) return;
      bool stop = false;
      uint32_t ready = 0;
      for (int i = 0; i < count; ++i) {
        if (events[i].data.fd == wake_fd) {
          stop = true;
        } else {
          ready |= events[i].events;
        }
      }
      if (stop) return;
      if (ready == 0) continue;
      // Only this thread reads, so recv needs no lock.
      ssize_t got = 0;
      if ((ready & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
        got = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (got < 0 && (errno == EAGAIN || errno == EINTR))
          got = 0;
        else if (got <= 0)
          got = -1;
      }
      Streams done;
      {
        std::lock_guard lock(mutex);
        if (got < 0) {
          BreakLocked();
        } else {
          if (got > 0 &&
              nghttp2_session_mem_recv(session, buffer.data(), static_cast<size_t>(got)) < 0) {
            BreakLocked();
          }
          // Acks, WINDOW_UPDATEs, and on EPOLLOUT what callers could not write.
          SendLocked();
        }
        done.swap(finished);
      }
      Complete(std::move(done));
    }
  }

  static ssize_t OnSend(nghttp2_session*, const uint8_t* data, size_t length, int, void* user) {
    auto* self = static_cast<Impl*>(user);
    for (;;) {
      ssize_t n = ::send(self->fd, data, length, MSG_NOSIGNAL);
      if (n >= 0) return n;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return NGHTTP2_ERR_CALLBACK_FAILURE;
      self->would_block = true;
      return NGHTTP2_ERR_WOULDBLOCK;
    }
  }

  static ssize_t ReadRequest(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                             uint32_t* flags, nghttp2_data_source* source, void*) {
    auto* stream = static_cast<Stream*>(source->ptr);
    size_t n = std::min(length, stream->request.size() - stream->sent);
    std::copy_n(stream->request.data() + stream->sent, n, buf);
    stream->sent += n;
    if (stream->sent == stream->request.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  // Response headers and trailers alike: a Trailers-Only answer puts grpc-status in the first.
  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name_data,
                      size_t name_length, const uint8_t* value_data, size_t value_length, uint8_t,
                      void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    Stream* stream = static_cast<Impl*>(user)->Find(frame->hd.stream_id);
    if (stream == nullptr) return 0;
    std::string_view name(reinterpret_cast<const char*>(name_data), name_length);
    std::string_view value(reinterpret_cast<const char*>(value_data), value_length);
    if (name == ":status") {
      stream->http_status = std::atoi(std::string(value).c_str());
    } else if (name == "grpc-status") {
      stream->grpc_status = std::atoi(std::string(value).c_str());
    } else if (name == "grpc-message") {
      stream->grpc_message = PercentDecode(value);
    }
    return 0;
  }

  static int OnData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t length,
                    void* user) {
    Stream* stream = static_cast<Impl*>(user)->Find(id);
    if (stream != nullptr) stream->response.append(reinterpret_cast<const char*>(data), length);
    return 0;
  }

  static int OnClose(nghttp2_session*, int32_t id, uint32_t error_code, void* user) {
    static_cast<Impl*>(user)->CloseLocked(id, error_code);
    return 0;
  }

  // A request that never left (e.g. after GOAWAY) gets no close callback: fail it here.
  static int OnNotSent(nghttp2_session*, const nghttp2_frame* frame, int, void* user) {
    if (frame->hd.type == NGHTTP2_HEADERS) {
      static_cast<Impl*>(user)->CloseLocked(frame->hd.stream_id, NGHTTP2_REFUSED_STREAM);
    }
    return 0;
  }
};

H2Forwarder::H2Forwarder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<H2Forwarder> H2Forwarder::Connect(const std::string& socket_path,
                                                  std::string* error) {
  auto impl = std::make_unique<Impl>();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    *error = "socket path too long";
    return nullptr;
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  impl->fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (impl->fd < 0 || ::connect(impl->fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::fcntl(impl->fd, F_SETFL, O_NONBLOCK) != 0) {
    *error = "cannot connect to " + socket_path + ": " + std::strerror(errno);
    return nullptr;
  }

  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_send_callback(callbacks, Impl::OnSend);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, Impl::OnHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Impl::OnData);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Impl::OnClose);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(callbacks, Impl::OnNotSent);
  int rv = nghttp2_session_client_new(&impl->session, callbacks, impl.get());
  nghttp2_session_callbacks_del(callbacks);
  if (rv != 0) {
    *error = nghttp2_strerror(rv);
    return nullptr;
  }
  // Windows large enough that 32 calls of 16 KiB in flight never wait for a WINDOW_UPDATE
  // (nghttp2 sends those itself as the application consumes data).
  std::array<nghttp2_settings_entry, 2> settings = {
      {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}, {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20}}};
  nghttp2_submit_settings(impl->session, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
  nghttp2_session_set_local_window_size(impl->session, NGHTTP2_FLAG_NONE, 0, 16 << 20);

  impl->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  impl->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl->epoll_fd < 0 || impl->wake_fd < 0) {
    *error = std::string("epoll/eventfd: ") + std::strerror(errno);
    return nullptr;
  }
  for (int descriptor : {impl->fd, impl->wake_fd}) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = descriptor;
    ::epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, descriptor, &event);
  }
  {
    std::lock_guard lock(impl->mutex);
    impl->SendLocked();  // the client preface and SETTINGS
  }
  Impl* raw = impl.get();
  impl->io = std::thread([raw] { raw->IoLoop(); });
  return std::unique_ptr<H2Forwarder>(new H2Forwarder(std::move(impl)));
}

H2Forwarder::~H2Forwarder() {
  uint64_t one = 1;
  if (::write(impl_->wake_fd, &one, sizeof(one)) < 0) std::perror("h2 forwarder: eventfd");
  impl_->io.join();
  Streams done;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->BreakLocked();
    done.swap(impl_->finished);
  }
  Complete(std::move(done));
}

void H2Forwarder::Unary(const std::string& path, const std::string& instance,
                        std::chrono::microseconds timeout,
                        const std::vector<std::string_view>& message_pieces, Done done) {
  auto stream = std::make_unique<Stream>();
  size_t size = 0;
  for (std::string_view piece : message_pieces) size += piece.size();
  uint32_t length = htonl(static_cast<uint32_t>(size));
  stream->request.reserve(kGrpcPrefix + size);
  stream->request.push_back('\0');  // not compressed
  stream->request.append(reinterpret_cast<const char*>(&length), sizeof(length));
  for (std::string_view piece : message_pieces) stream->request.append(piece);
  stream->done = std::move(done);

  std::string timeout_text = timeout.count() > 0 ? GrpcTimeout(timeout) : "";
  std::array<nghttp2_nv, 9> headers{};
  size_t count = 0;
  for (auto [name, value] : std::initializer_list<std::pair<std::string_view, std::string_view>>{
           {":method", "POST"},
           {":scheme", "http"},
           {":path", path},
           {":authority", "localhost"},
           {"content-type", "application/grpc"},
           {"te", "trailers"}}) {
    headers[count++] = Header(name, value);
  }
  if (!instance.empty()) headers[count++] = Header("x-component-instance", instance);
  if (!timeout_text.empty()) headers[count++] = Header("grpc-timeout", timeout_text);

  Streams done_now;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->broken) {
      stream->connection_lost = true;
      impl_->finished.push_back(std::move(stream));
    } else {
      nghttp2_data_provider provider{};
      provider.source.ptr = stream.get();
      provider.read_callback = Impl::ReadRequest;
      int32_t id = nghttp2_submit_request(impl_->session, nullptr, headers.data(), count, &provider,
                                          nullptr);
      if (id < 0) {
        stream->reset_code = NGHTTP2_REFUSED_STREAM;
        impl_->finished.push_back(std::move(stream));
      } else {
        impl_->streams.emplace(id, std::move(stream));
        impl_->SendLocked();  // from this thread: no hand-off on the way out
      }
    }
    // Only failures land here on a caller's thread; answers are taken by the I/O thread.
    done_now.swap(impl_->finished);
  }
  Complete(std::move(done_now));
}

namespace {

// One forwarded call, as ForwardingReactor in fake_servers.cc but through the H2Forwarder:
// read the request bytes, submit them, answer from the completion (on the I/O thread).
class H2ForwardingReactor final : public grpc::ServerGenericBidiReactor {
 public:
  H2ForwardingReactor(grpc::GenericCallbackServerContext* context, H2Forwarder* forwarder)
      : context_(context), forwarder_(forwarder) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    std::vector<grpc::Slice> slices;
    if (!ok || !request_.Dump(&slices).ok()) {
      Finish(grpc::Status(grpc::StatusCode::INTERNAL, "proxy: no request"));
      return;
    }
    std::vector<std::string_view> pieces;
    pieces.reserve(slices.size());
    for (const auto& slice : slices) {
      pieces.emplace_back(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
    std::string instance;
    const auto& metadata = context_->client_metadata();
    if (auto it = metadata.find("x-component-instance"); it != metadata.end()) {
      instance.assign(it->second.data(), it->second.size());
    }
    std::chrono::microseconds timeout{0};
    if (context_->deadline() != std::chrono::system_clock::time_point::max()) {
      timeout = std::max(std::chrono::microseconds(1),
                         std::chrono::duration_cast<std::chrono::microseconds>(
                             context_->deadline() - std::chrono::system_clock::now()));
    }
    forwarder_->Unary(context_->method(), instance, timeout, pieces,
                      [this](const grpc::Status& status, std::string message) {
                        if (!status.ok()) {
                          Finish(status);
                          return;
                        }
                        // The message's own buffer becomes the slice: no copy.
                        auto* owned = new std::string(std::move(message));
                        grpc::Slice slice(
                            owned->data(), owned->size(),
                            [](void* p) { delete static_cast<std::string*>(p); }, owned);
                        response_ = grpc::ByteBuffer(&slice, 1);
                        StartWriteAndFinish(&response_, grpc::WriteOptions(), status);
                      });
  }

  void OnDone() override { delete this; }

 private:
  grpc::GenericCallbackServerContext* context_;
  H2Forwarder* forwarder_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

class H2ForwardingService final : public grpc::CallbackGenericService {
 public:
  explicit H2ForwardingService(H2Forwarder* forwarder) : forwarder_(forwarder) {}

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new H2ForwardingReactor(context, forwarder_);
  }

 private:
  H2Forwarder* forwarder_;
};

}  // namespace

int ServeH2Proxy(const std::string& listen, const std::string& target) {
  sigset_t signals = BlockTermination();
  if (target.rfind("unix:", 0) != 0) {
    std::fprintf(stderr, "proxy-h2: TARGET must be unix:/path, not %s\n", target.c_str());
    return 2;
  }
  std::string error;
  std::unique_ptr<H2Forwarder> forwarder = H2Forwarder::Connect(target.substr(5), &error);
  if (!forwarder) {
    std::fprintf(stderr, "proxy-h2: %s\n", error.c_str());
    return 1;
  }
  H2ForwardingService forwarding(forwarder.get());
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials());
  builder.RegisterCallbackGenericService(&forwarding);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "proxy-h2: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::fprintf(stderr, "proxy-h2: forwarding %s to %s over nghttp2\n", listen.c_str(),
               target.c_str());
  WaitForTermination(signals);
  // The server goes first (declared last), so no reaction can reach a destroyed forwarder.
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  RemoveUnixSocketFile(listen);
  return 0;
}

}  // namespace plughost::bench
