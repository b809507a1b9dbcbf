// Servers the harness runs in child processes of its own (the bench binary re-executes itself):
// the bare echo that is the latency floor, and the socket folder the discovery figure scans.
#pragma once

#include <signal.h>

#include <string>
#include <vector>

namespace plughost::bench {

// `plughost-bench --serve-echo ADDR...`: one callback-API server listening on every ADDR
// (`unix:/path` or `127.0.0.1:port`), answering dapr.proto.runtime.v1.Dapr/GetState and
// dapr.proto.components.v1.StateStore/Get with a fixed value and doing nothing else, so it
// costs what a gRPC round trip of the same messages costs. The value's size is the number
// after the key's last '-' ("k-16384" → 16 KiB). Serves until SIGTERM/SIGINT; returns the exit
// code.
int ServeEcho(const std::vector<std::string>& addresses);

// `plughost-bench --serve-proxy LISTEN TARGET`: the least a callback-API proxy can do, for
// reference: a callback-API generic service that forwards every unary call's bytes unchanged,
// over one long-lived channel, to TARGET, with no parsing. Serves until SIGTERM/SIGINT.
int ServeProxy(const std::string& listen, const std::string& target);

// A server's main thread: BlockTermination before gRPC starts threads (so that the
// signal reaches only the sigwait), then WaitForTermination until SIGTERM/SIGINT.
sigset_t BlockTermination();
void WaitForTermination(const sigset_t& signals);
// After a server stops: removes the socket file of a `unix:/path` address (no-op for TCP).
void RemoveUnixSocketFile(const std::string& address);

// `plughost-bench --serve-discovery DIR GOOD DEAD HUNG`: in DIR, GOOD sockets each served by
// its own callback-API server (StateStore + reflection), DEAD socket files nobody listens on,
// HUNG sockets that are listening but never accept. Serves until SIGTERM/SIGINT.
int ServeDiscoveryFolder(const std::string& dir, int good, int dead, int hung);

// The file names ServeDiscoveryFolder creates, so that the parent can wait for them.
std::string GoodSocketName(int index);
std::string DeadSocketName(int index);
std::string HungSocketName(int index);

}  // namespace plughost::bench
