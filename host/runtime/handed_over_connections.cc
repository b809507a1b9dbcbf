#include "host/runtime/handed_over_connections.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

namespace plughost {

void HandedOverConnections::Add(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) == 0) inodes_.insert(st.st_ino);
}

bool HandedOverConnections::HasRoom(size_t bound, Clock::time_point now) {
  if (inodes_.size() < bound) return true;
  if (now - last_rescan_ >= rescan_interval_) {
    last_rescan_ = now;
    ForgetClosed();
  }
  return inodes_.size() < bound;
}

void HandedOverConnections::ForgetClosed() {
  DIR* table = ::opendir("/proc/self/fd");
  if (table == nullptr) return;
  std::unordered_set<ino_t> open;
  int table_fd = ::dirfd(table);
  while (dirent* entry = ::readdir(table)) {
    if (entry->d_name[0] == '.') continue;
    struct stat st {};
    // Follows the descriptor's link to the socket itself.
    if (::fstatat(table_fd, entry->d_name, &st, 0) == 0 && S_ISSOCK(st.st_mode)) {
      open.insert(st.st_ino);
    }
  }
  ::closedir(table);
  for (auto it = inodes_.begin(); it != inodes_.end();) {
    it = open.count(*it) ? std::next(it) : inodes_.erase(it);
  }
}

}  // namespace plughost
