// Counts the TCP connections the host accepted and handed to gRPC that are still open.
//
// Why this way: once a descriptor belongs to gRPC, gRPC closes it without telling anyone (1.51
// has no connection-closed hook for external connections). A socket's inode stays unique while
// the socket exists, and the process's descriptor table (/proc/self/fd) says which sockets it
// still holds, so a connection whose inode is no longer there was closed. The table is read
// only when the count reaches the bound, and at most once per `rescan_interval`.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <unordered_set>

namespace plughost {

class HandedOverConnections {
 public:
  using Clock = std::chrono::steady_clock;

  explicit HandedOverConnections(
      std::chrono::milliseconds rescan_interval = std::chrono::milliseconds(100))
      : rescan_interval_(rescan_interval) {}

  // Remembers the connection on `fd`, which is about to be handed over.
  void Add(int fd);
  // True when fewer than `bound` remembered connections are still open. Not thread safe: one
  // accept loop owns it.
  bool HasRoom(size_t bound, Clock::time_point now = Clock::now());

  size_t remembered() const { return inodes_.size(); }

 private:
  // Forgets the connections no descriptor of this process refers to any more. When the table
  // cannot be read (no descriptor left to open it), keeps them all: the bound errs on refusing.
  void ForgetClosed();

  std::chrono::milliseconds rescan_interval_;
  Clock::time_point last_rescan_{};
  std::unordered_set<ino_t> inodes_;
};

}  // namespace plughost
