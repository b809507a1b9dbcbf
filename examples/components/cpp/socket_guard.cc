#include "examples/components/cpp/socket_guard.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace plughost::sample {
namespace {

constexpr char kDefaultSocketFolder[] = "/tmp/dapr-components-sockets";
constexpr mode_t kFolderMode = 0750;
constexpr mode_t kSocketMode = 0660;
// Another process may unlink the lock file between our open() and flock(); retrying a few times
// settles that race without looping forever on a broken filesystem.
constexpr int kLockAttempts = 5;

std::string ErrnoText(int error_number) { return std::strerror(error_number); }

std::string ParentOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// mkdir -p with our mode; existing directories are left as they are.
bool MakeDirectories(const std::string& folder, std::string* error) {
  for (size_t end = folder.find('/', 1);; end = folder.find('/', end + 1)) {
    std::string prefix = folder.substr(0, end);
    if (!prefix.empty() && mkdir(prefix.c_str(), kFolderMode) != 0 && errno != EEXIST) {
      *error = "cannot create socket folder " + prefix + ": " + ErrnoText(errno);
      return false;
    }
    if (end == std::string::npos) break;
  }
  struct stat info {};
  if (stat(folder.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    *error = "socket folder " + folder + " is not a directory";
    return false;
  }
  return true;
}

enum class Probe { kAbsent, kStale, kLive, kError };

// Asks whether a server is accepting on `path`. Connection refused means the file outlived its
// server.
Probe ProbeSocket(const std::string& path, std::string* error) {
  struct stat info {};
  if (lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return Probe::kAbsent;
    *error = "cannot inspect " + path + ": " + ErrnoText(errno);
    return Probe::kError;
  }
  if (!S_ISSOCK(info.st_mode)) {
    *error = path + " exists and is not a socket; refusing to replace it";
    return Probe::kError;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = "cannot create a probe socket: " + ErrnoText(errno);
    return Probe::kError;
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  int result = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  int connect_errno = errno;
  close(fd);
  if (result == 0) {
    *error = "socket " + path + " is in use by another process";
    return Probe::kLive;
  }
  if (connect_errno == ECONNREFUSED || connect_errno == ENOENT) return Probe::kStale;
  *error = "cannot probe socket " + path + ": " + ErrnoText(connect_errno);
  return Probe::kError;
}

// Opens and exclusively locks `lock_path`; returns the fd or -1 with *error set.
int LockExclusively(const std::string& lock_path, const std::string& socket_path,
                    std::string* error) {
  for (int attempt = 0; attempt < kLockAttempts; ++attempt) {
    int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      *error = "cannot open lock file " + lock_path + ": " + ErrnoText(errno);
      return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int lock_errno = errno;
      close(fd);
      if (lock_errno == EWOULDBLOCK) {
        *error = "socket " + socket_path + " is claimed by another process (lock " + lock_path +
                 " is held)";
      } else {
        *error = "cannot lock " + lock_path + ": " + ErrnoText(lock_errno);
      }
      return -1;
    }
    // The previous owner unlinks the lock file on exit; if it did so after our open(), we hold
    // a lock on a file nobody else will ever open, and must lock the current one instead.
    struct stat held {}, current {};
    if (fstat(fd, &held) == 0 && stat(lock_path.c_str(), &current) == 0 &&
        held.st_dev == current.st_dev && held.st_ino == current.st_ino) {
      return fd;
    }
    close(fd);
  }
  *error = "lock file " + lock_path + " keeps being replaced; giving up";
  return -1;
}

}  // namespace

std::string ComponentSocketFolder() {
  for (const char* variable : {"DAPR_COMPONENTS_SOCKETS_FOLDER", "DAPR_COMPONENT_SOCKETS_FOLDER"}) {
    const char* value = std::getenv(variable);
    if (value != nullptr && value[0] != '\0') return value;
  }
  return kDefaultSocketFolder;
}

std::string DefaultSocketPath(const std::string& component_name) {
  return ComponentSocketFolder() + "/" + component_name + ".sock";
}

std::unique_ptr<SocketGuard> SocketGuard::Claim(const std::string& socket_path,
                                                std::string* error) {
  if (socket_path.empty()) {
    *error = "socket path is empty";
    return nullptr;
  }
  // sun_path holds 108 bytes including the terminator; gRPC fails late and vaguely beyond that.
  if (socket_path.size() >= sizeof(sockaddr_un::sun_path)) {
    *error = "socket path " + socket_path + " is longer than " +
             std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes";
    return nullptr;
  }
  if (!MakeDirectories(ParentOf(socket_path), error)) return nullptr;

  std::string lock_path = socket_path + ".lock";
  int lock_fd = LockExclusively(lock_path, socket_path, error);
  if (lock_fd < 0) return nullptr;
  // From here on the guard owns the lock, so every failure path releases it.
  std::unique_ptr<SocketGuard> guard(new SocketGuard(socket_path, std::move(lock_path), lock_fd));

  switch (ProbeSocket(socket_path, error)) {
    case Probe::kAbsent:
      return guard;
    case Probe::kStale:
      if (unlink(socket_path.c_str()) != 0 && errno != ENOENT) {
        *error = "cannot remove stale socket " + socket_path + ": " + ErrnoText(errno);
        return nullptr;
      }
      return guard;
    case Probe::kLive:
    case Probe::kError:
      return nullptr;
  }
  return nullptr;
}

bool SocketGuard::MarkBound(std::string* error) {
  struct stat info {};
  if (lstat(socket_path_.c_str(), &info) != 0 || !S_ISSOCK(info.st_mode)) {
    *error = "server started but socket " + socket_path_ + " is missing";
    return false;
  }
  bound_ = true;
  socket_device_ = info.st_dev;
  socket_inode_ = info.st_ino;
  if (chmod(socket_path_.c_str(), kSocketMode) != 0) {
    *error = "cannot chmod socket " + socket_path_ + ": " + ErrnoText(errno);
    return false;
  }
  return true;
}

SocketGuard::~SocketGuard() {
  struct stat info {};
  // Only remove the file we bound: a non-cooperating server may have replaced it since.
  if (bound_ && lstat(socket_path_.c_str(), &info) == 0 && info.st_dev == socket_device_ &&
      info.st_ino == socket_inode_) {
    unlink(socket_path_.c_str());
  }
  // Unlink before unlocking, so a waiting process never locks a file that is about to vanish
  // (LockExclusively re-checks the inode for the remaining window).
  unlink(lock_path_.c_str());
  close(lock_fd_);
}

}  // namespace plughost::sample
