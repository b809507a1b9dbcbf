#include "host/builtins/open_beneath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace plughost {
namespace {

// Set once openat2 answered ENOSYS (an older kernel, or a seccomp filter that hides it).
std::atomic<bool> no_openat2{false};

int OpenAt2(int dir_fd, const std::string& relative, int flags, int mode) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags);
  how.mode = (flags & O_CREAT) ? static_cast<uint64_t>(mode) : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dir_fd, relative.c_str(), &how, sizeof(how)));
}

bool PlainName(const std::string& part) {
  return !part.empty() && part != "." && part != ".." && part.find('/') == std::string::npos;
}

}  // namespace

bool SplitBeneath(const std::string& relative, BeneathPath* path) {
  if (relative.empty() || relative.front() == '/') return false;
  BeneathPath split;
  size_t start = 0;
  while (start <= relative.size()) {
    size_t slash = relative.find('/', start);
    std::string part = relative.substr(start, slash == std::string::npos ? slash : slash - start);
    start = slash == std::string::npos ? relative.size() + 1 : slash + 1;
    if (part.empty() || part == ".") continue;  // "a//b", "a/./b"
    if (part == "..") return false;
    split.folders.push_back(std::move(part));
  }
  if (split.folders.empty()) return false;
  split.leaf = std::move(split.folders.back());
  split.folders.pop_back();
  *path = std::move(split);
  return true;
}

int OpenFolderBeneath(int root_fd, const BeneathPath& path, bool create_folders) {
  int dir_fd = ::fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
  if (dir_fd < 0) return -1;
  for (const auto& part : path.folders) {
    if (!PlainName(part)) {
      ::close(dir_fd);
      errno = EINVAL;
      return -1;
    }
    int next = ::openat(dir_fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT && create_folders) {
      if (::mkdirat(dir_fd, part.c_str(), 0750) != 0 && errno != EEXIST) {
        int error = errno;
        ::close(dir_fd);
        errno = error;
        return -1;
      }
      next = ::openat(dir_fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    int error = errno;
    ::close(dir_fd);
    if (next < 0) {
      errno = error;
      return -1;
    }
    dir_fd = next;
  }
  return dir_fd;
}

int OpenBeneath(int root_fd, const BeneathPath& path, int flags, int mode, bool create_folders) {
  flags |= O_NOFOLLOW | O_CLOEXEC;
  if (!PlainName(path.leaf)) {
    errno = EINVAL;
    return -1;
  }
  if (!create_folders && !no_openat2.load(std::memory_order_relaxed)) {
    std::string relative;
    for (const auto& part : path.folders) relative += part + "/";
    relative += path.leaf;
    int fd = OpenAt2(root_fd, relative, flags, mode);
    if (fd >= 0 || errno != ENOSYS) return fd;
    no_openat2.store(true, std::memory_order_relaxed);
  }
  // Each folder is opened with O_NOFOLLOW from the one before it, and the leaf with
  // O_NOFOLLOW from the last: a symlink swapped in anywhere fails the open instead of being
  // followed.
  int dir_fd = OpenFolderBeneath(root_fd, path, create_folders);
  if (dir_fd < 0) return -1;
  int fd = ::openat(dir_fd, path.leaf.c_str(), flags, mode);
  int error = errno;
  ::close(dir_fd);
  errno = error;
  return fd;
}

}  // namespace plughost
