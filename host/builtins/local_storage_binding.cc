#include "host/builtins/local_storage_binding.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>

#include "host/builtins/open_beneath.h"

namespace plughost {
namespace {

namespace fs = std::filesystem;

constexpr char kRootPathKey[] = "rootPath";
constexpr char kFileNameKey[] = "fileName";
constexpr const char* kOperations[] = {"create", "get", "delete", "list"};

grpc::Status InvalidArgument(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

std::string RandomUuid() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  uint64_t high = random();
  uint64_t low = random();
  high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;    // RFC 4122 variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xffff,
                     high & 0xffff, low >> 48, low & 0xffffffffffffULL);
}

// `path` is `root` or below it (both canonical or weakly canonical).
bool IsWithin(const fs::path& path, const fs::path& root) {
  auto [root_end, path_it] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return root_end == root.end();
}

// Follows every symlink on the way to `path`, dangling ones included (weakly_canonical stops
// at those), and tells whether each step stays inside `root`.
bool ResolvesWithin(fs::path path, const fs::path& root) {
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code ec;
    fs::path resolved = fs::weakly_canonical(path, ec);
    if (ec || !IsWithin(resolved, root)) return false;
    // A path that does not exist (yet) is fine: it lies inside, as checked above.
    if (!fs::is_symlink(fs::symlink_status(resolved, ec))) return true;
    fs::path target = fs::read_symlink(resolved, ec);
    if (ec) return false;
    path = target.is_absolute() ? target : resolved.parent_path() / target;
  }
  return false;  // a symlink loop
}

std::string MetadataValue(const bindingspb::InvokeRequest& request, const char* key) {
  auto it = request.metadata().find(key);
  return it == request.metadata().end() ? std::string() : it->second;
}

grpc::Status ErrnoStatus(const std::string& what, const std::string& name, int error) {
  if (error == ENOENT) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, fmt::format("file \"{}\" not found", name));
  }
  if (error == ELOOP) {
    return InvalidArgument(fmt::format("fileName \"{}\" is a symbolic link", name));
  }
  if (error == EISDIR) return InvalidArgument(fmt::format("\"{}\" is a directory", name));
  return grpc::Status(grpc::StatusCode::INTERNAL,
                      fmt::format("cannot {} \"{}\": {}", what, name, std::strerror(error)));
}

// Writes all of `data` to `fd`, retrying short writes.
bool WriteAll(int fd, const std::string& data) {
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    written += static_cast<size_t>(n);
  }
  return true;
}

// `path` (inside `root`, as Resolve made it) as open_beneath's parts.
BeneathPath Beneath(const fs::path& path, const fs::path& root) {
  BeneathPath beneath;
  SplitBeneath(path.lexically_relative(root).generic_string(), &beneath);
  return beneath;
}

// An open beneath the root that met a symlink (or a folder swapped for one) fails with one of
// these: the name leads outside, or through a link, which the binding never follows.
bool EscapeErrno(int error) { return error == ELOOP || error == EXDEV || error == ENOTDIR; }

}  // namespace

void LocalStorageBinding::Init(const InitSpec& spec, StatusCallback done) {
  auto it = spec.metadata.find(kRootPathKey);
  if (it == spec.metadata.end() || it->second.empty()) {
    done(InvalidArgument("metadata \"rootPath\" is required: the folder files are stored in"));
    return;
  }
  std::error_code ec;
  fs::create_directories(it->second, ec);
  fs::path canonical = fs::canonical(it->second, ec);
  if (ec || !fs::is_directory(canonical)) {
    done(InvalidArgument(fmt::format("metadata \"rootPath\" \"{}\" is not a usable folder: {}",
                                     it->second, ec ? ec.message() : "not a directory")));
    return;
  }
  int fd = ::open(canonical.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    done(InvalidArgument(fmt::format("metadata \"rootPath\" \"{}\" cannot be opened: {}",
                                     it->second, std::strerror(errno))));
    return;
  }
  auto root_fd = std::shared_ptr<const int>(new int(fd), [](const int* owned) {
    ::close(*owned);
    delete owned;
  });
  {
    std::lock_guard lock(mutex_);
    root_ = std::move(canonical);
    root_fd_ = std::move(root_fd);
  }
  done(grpc::Status::OK);
}

std::vector<std::string> LocalStorageBinding::Operations() const {
  return {std::begin(kOperations), std::end(kOperations)};
}

std::shared_ptr<const int> LocalStorageBinding::root_fd() const {
  std::lock_guard lock(mutex_);
  return root_fd_;
}

fs::path LocalStorageBinding::root() const {
  std::lock_guard lock(mutex_);
  return root_;
}

void LocalStorageBinding::Invoke(bindingspb::InvokeRequest request, const CallOptions& /*options*/,
                                 Callback<bindingspb::InvokeResponse> done) {
  bindingspb::InvokeResponse response;
  grpc::Status status;
  const std::string& operation = request.operation();
  if (root().empty()) {
    status = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "the binding is not initialised");
  } else if (operation == "create") {
    status = Create(request, &response);
  } else if (operation == "get") {
    status = Get(request, &response);
  } else if (operation == "delete") {
    status = Delete(request);
  } else if (operation == "list") {
    status = List(request, &response);
  } else {
    status = grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                          fmt::format("unsupported operation \"{}\"", operation));
  }
  if (!status.ok()) response.Clear();
  done(std::move(status), std::move(response));
}

grpc::Status LocalStorageBinding::Resolve(const std::string& file_name, fs::path* path) const {
  if (file_name.empty()) {
    return InvalidArgument("metadata \"fileName\" is required");
  }
  if (file_name.find('\0') != std::string::npos) {
    return InvalidArgument("fileName must not contain NUL");
  }
  fs::path relative(file_name);
  if (relative.is_absolute()) {
    return InvalidArgument(fmt::format("fileName \"{}\" must be relative to rootPath", file_name));
  }
  for (const auto& part : relative) {
    if (part == "..") {
      return InvalidArgument(fmt::format("fileName \"{}\" must not contain \"..\"", file_name));
    }
  }
  const fs::path base = root();
  fs::path full = (base / relative).lexically_normal();
  if (!full.has_filename()) full = full.parent_path();  // "dir/" and "." name the folder itself
  if (!IsWithin(full, base) || !ResolvesWithin(full, base)) {
    return InvalidArgument(fmt::format("fileName \"{}\" resolves outside rootPath", file_name));
  }
  *path = std::move(full);
  return grpc::Status::OK;
}

grpc::Status LocalStorageBinding::Create(const bindingspb::InvokeRequest& request,
                                         bindingspb::InvokeResponse* response) {
  std::string name = MetadataValue(request, kFileNameKey);
  if (name.empty()) name = RandomUuid();
  fs::path path;
  if (auto status = Resolve(name, &path); !status.ok()) return status;
  if (path == root()) return InvalidArgument(fmt::format("fileName \"{}\" names rootPath", name));

  // Folders are created and the file opened beneath the root's descriptor, never through a
  // symlink: a link swapped in after Resolve's check cannot redirect the write.
  auto base_fd = root_fd();
  int fd = OpenBeneath(*base_fd, Beneath(path, root()), O_WRONLY | O_CREAT | O_TRUNC, 0640,
                       /*create_folders=*/true);
  if (fd < 0 && EscapeErrno(errno)) {
    return InvalidArgument(
        fmt::format("fileName \"{}\" resolves outside rootPath or through a "
                    "symlink",
                    name));
  }
  if (fd < 0) return ErrnoStatus("create", name, errno);
  bool written = WriteAll(fd, request.data());
  int write_error = errno;
  bool closed = ::close(fd) == 0;
  if (!written || !closed) return ErrnoStatus("write", name, written ? errno : write_error);

  (*response->mutable_metadata())[kFileNameKey] = name;
  response->set_data(nlohmann::json{{kFileNameKey, name}}.dump());
  response->set_content_type("application/json");
  return grpc::Status::OK;
}

grpc::Status LocalStorageBinding::Get(const bindingspb::InvokeRequest& request,
                                      bindingspb::InvokeResponse* response) {
  std::string name = MetadataValue(request, kFileNameKey);
  fs::path path;
  if (auto status = Resolve(name, &path); !status.ok()) return status;
  const fs::path base = root();
  if (path == base) return InvalidArgument(fmt::format("\"{}\" is a directory", name));
  // Opened beneath the root's descriptor with no symlink followed anywhere: what Resolve
  // checked cannot be swapped for a link to outside before the open.
  auto base_fd = root_fd();
  int fd = OpenBeneath(*base_fd, Beneath(path, base), O_RDONLY, 0, /*create_folders=*/false);
  if (fd < 0 && EscapeErrno(errno)) {
    return InvalidArgument(
        fmt::format("fileName \"{}\" resolves outside rootPath or through a "
                    "symlink",
                    name));
  }
  if (fd < 0) return ErrnoStatus("read", name, errno);
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return InvalidArgument(fmt::format("\"{}\" is a directory", name));
  }
  std::string data;
  char buffer[64 * 1024];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return ErrnoStatus("read", name, error);
    }
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  response->set_data(std::move(data));
  return grpc::Status::OK;
}

grpc::Status LocalStorageBinding::Delete(const bindingspb::InvokeRequest& request) {
  std::string name = MetadataValue(request, kFileNameKey);
  fs::path path;
  if (auto status = Resolve(name, &path); !status.ok()) return status;
  if (path == root()) return InvalidArgument(fmt::format("fileName \"{}\" names rootPath", name));
  // The entry is looked at and removed through its folder's descriptor, reached beneath the
  // root without following links; a symlink itself is removed, never its target.
  auto base_fd = root_fd();
  BeneathPath beneath = Beneath(path, root());
  int dir_fd = OpenFolderBeneath(*base_fd, beneath, /*create_folders=*/false);
  if (dir_fd < 0) {
    if (EscapeErrno(errno)) {
      return InvalidArgument(
          fmt::format("fileName \"{}\" resolves outside rootPath or through a "
                      "symlink",
                      name));
    }
    return grpc::Status(grpc::StatusCode::NOT_FOUND, fmt::format("file \"{}\" not found", name));
  }
  struct stat st {};
  grpc::Status result = grpc::Status::OK;
  if (::fstatat(dir_fd, beneath.leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    result = grpc::Status(grpc::StatusCode::NOT_FOUND, fmt::format("file \"{}\" not found", name));
  } else if (S_ISDIR(st.st_mode)) {
    result = InvalidArgument(fmt::format("\"{}\" is a directory", name));
  } else if (::unlinkat(dir_fd, beneath.leaf.c_str(), 0) != 0) {
    result = ErrnoStatus("delete", name, errno);
  }
  ::close(dir_fd);
  return result;
}

grpc::Status LocalStorageBinding::List(const bindingspb::InvokeRequest& request,
                                       bindingspb::InvokeResponse* response) {
  const fs::path base = root();
  fs::path folder = base;
  std::string name = MetadataValue(request, kFileNameKey);
  if (!name.empty()) {
    if (auto status = Resolve(name, &folder); !status.ok()) return status;
  }
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        fmt::format("folder \"{}\" not found", name.empty() ? "." : name));
  }
  std::vector<std::string> names;
  // Directory symlinks are not followed, so a listing never leaves the root.
  for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory() && !it->is_symlink()) continue;
    names.push_back(it->path().lexically_relative(base).generic_string());
  }
  if (ec) {
    return grpc::Status(
        grpc::StatusCode::INTERNAL,
        fmt::format("cannot list \"{}\": {}", name.empty() ? "." : name, ec.message()));
  }
  std::sort(names.begin(), names.end());
  response->set_data(nlohmann::json(names).dump());
  response->set_content_type("application/json");
  return grpc::Status::OK;
}

}  // namespace plughost
