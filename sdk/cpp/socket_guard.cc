#include "sdk/cpp/socket_guard.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace plughost::sdk {
namespace {

constexpr mode_t kFolderMode = 0750;
constexpr mode_t kSocketMode = 0660;
// Another process may unlink the lock file between our open() and flock(); a few retries
// settle that race without looping forever on a broken file system.
constexpr int kLockAttempts = 5;

std::string ErrnoText(int error_number) { return std::strerror(error_number); }

absl::Status FromErrno(int error_number, const std::string& what) {
  return absl::ErrnoToStatus(error_number, what + ": " + ErrnoText(error_number));
}

std::string ParentOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// mkdir -p with our mode; folders that exist keep theirs.
absl::Status MakeFolders(const std::string& folder) {
  for (size_t end = folder.find('/', 1);; end = folder.find('/', end + 1)) {
    std::string prefix = folder.substr(0, end);
    if (!prefix.empty() && mkdir(prefix.c_str(), kFolderMode) != 0 && errno != EEXIST) {
      return FromErrno(errno, "cannot create socket folder " + prefix);
    }
    if (end == std::string::npos) break;
  }
  struct stat info {};
  if (stat(folder.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return absl::InvalidArgumentError("socket folder " + folder + " is not a directory");
  }
  return absl::OkStatus();
}

enum class Probe { kAbsent, kStale, kLive };

// Asks whether a server accepts on `path`. "Connection refused" means the file outlived its
// server.
absl::StatusOr<Probe> ProbeSocket(const std::string& path) {
  struct stat info {};
  if (lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return Probe::kAbsent;
    return FromErrno(errno, "cannot inspect " + path);
  }
  if (!S_ISSOCK(info.st_mode)) {
    return absl::InvalidArgumentError(path + " exists and is not a socket; refusing to replace it");
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return FromErrno(errno, "cannot create a probe socket");
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  int result = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  int connect_errno = errno;
  close(fd);
  if (result == 0) return Probe::kLive;
  if (connect_errno == ECONNREFUSED || connect_errno == ENOENT) return Probe::kStale;
  return FromErrno(connect_errno, "cannot probe socket " + path);
}

// Opens and exclusively locks `lock_path`; returns the descriptor.
absl::StatusOr<int> LockExclusively(const std::string& lock_path, const std::string& socket_path) {
  for (int attempt = 0; attempt < kLockAttempts; ++attempt) {
    int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return FromErrno(errno, "cannot open lock file " + lock_path);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int lock_errno = errno;
      close(fd);
      if (lock_errno == EWOULDBLOCK) {
        return absl::FailedPreconditionError(absl::StrCat("socket ", socket_path,
                                                          " is claimed by another process (lock ",
                                                          lock_path, " is held)"));
      }
      return FromErrno(lock_errno, "cannot lock " + lock_path);
    }
    // The previous owner unlinks the lock file on exit; if it did so after our open(), we hold
    // a lock on a file nobody else will ever open, and must lock the current one instead.
    struct stat held {
    }, current{};
    if (fstat(fd, &held) == 0 && stat(lock_path.c_str(), &current) == 0 &&
        held.st_dev == current.st_dev && held.st_ino == current.st_ino) {
      return fd;
    }
    close(fd);
  }
  return absl::UnavailableError("lock file " + lock_path + " keeps being replaced; giving up");
}

}  // namespace

absl::StatusOr<std::unique_ptr<SocketGuard>> SocketGuard::Claim(const std::string& socket_path) {
  if (socket_path.empty()) return absl::InvalidArgumentError("socket path is empty");
  // sun_path holds 108 bytes with the terminator; gRPC fails late and vaguely beyond that.
  if (socket_path.size() >= sizeof(sockaddr_un::sun_path)) {
    return absl::InvalidArgumentError("socket path " + socket_path + " is longer than " +
                                      std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
  }
  if (absl::Status made = MakeFolders(ParentOf(socket_path)); !made.ok()) return made;

  std::string lock_path = socket_path + ".lock";
  absl::StatusOr<int> lock_fd = LockExclusively(lock_path, socket_path);
  if (!lock_fd.ok()) return lock_fd.status();
  // From here on the guard owns the lock, so every way out releases it.
  std::unique_ptr<SocketGuard> guard(new SocketGuard(socket_path, std::move(lock_path), *lock_fd));

  absl::StatusOr<Probe> probe = ProbeSocket(socket_path);
  if (!probe.ok()) return probe.status();
  switch (*probe) {
    case Probe::kAbsent:
      return guard;
    case Probe::kStale:
      if (unlink(socket_path.c_str()) != 0 && errno != ENOENT) {
        return FromErrno(errno, "cannot remove stale socket " + socket_path);
      }
      return guard;
    case Probe::kLive:
      break;
  }
  return absl::FailedPreconditionError("socket " + socket_path + " is in use by another process");
}

absl::Status SocketGuard::MarkBound() {
  struct stat info {};
  if (lstat(socket_path_.c_str(), &info) != 0 || !S_ISSOCK(info.st_mode)) {
    return absl::InternalError("server started but socket " + socket_path_ + " is missing");
  }
  bound_ = true;
  socket_device_ = info.st_dev;
  socket_inode_ = info.st_ino;
  if (chmod(socket_path_.c_str(), kSocketMode) != 0) {
    return FromErrno(errno, "cannot chmod socket " + socket_path_);
  }
  return absl::OkStatus();
}

SocketGuard::~SocketGuard() {
  struct stat info {};
  // Only remove the file we bound: a server that ignores the lock may have replaced it.
  if (bound_ && lstat(socket_path_.c_str(), &info) == 0 && info.st_dev == socket_device_ &&
      info.st_ino == socket_inode_) {
    unlink(socket_path_.c_str());
  }
  // Unlink before unlocking, so a waiting process never locks a file about to vanish
  // (LockExclusively re-checks the inode for the remaining window).
  unlink(lock_path_.c_str());
  close(lock_fd_);
}

}  // namespace plughost::sdk
