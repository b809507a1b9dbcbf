// Whether a component's socket still has a process behind it, asked with one non-blocking
// connect(): the answer the supervisor needs before it calls a component lost (and
// re-initialises it) rather than merely slow to answer a Ping.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace plughost {

enum class SocketLiveness {
  kListening,  // a process accepts connections (or its backlog is full: alive, just busy)
  kGone,       // no socket file at the path
  kRefused,    // the file is there, nobody listens (the process died without removing it)
  kError,      // anything else (permissions, path too long): reported, treated as lost
};

struct SocketCheck {
  SocketLiveness liveness = SocketLiveness::kError;
  std::string detail;             // one line for the log when not listening
  std::optional<uid_t> peer_uid;  // the listening process's uid (SO_PEERCRED), when known
};

SocketCheck CheckSocket(const std::string& path);

}  // namespace plughost
