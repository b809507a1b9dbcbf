// The bare proxy on gRPC's completion-queue API instead of its callback API (issue 16
// experiment): how much of a proxied call's latency is the callback API's thread hand-offs.
#pragma once

#include <string>

namespace plughost::bench {

// `plughost-bench --serve-proxy-cq LISTEN TARGET`: forwards every unary call's bytes unchanged
// over one long-lived channel to TARGET, like --serve-proxy, but each serving thread (one unless
// PLUGHOST_BENCH_CQ_THREADS says otherwise) polls its own completion queue and makes the
// component call on that same queue, so a call's request, its forward, the component's answer
// and the reply are all handled by the thread that polled them, with no hand-off between
// threads. Serves until SIGTERM/SIGINT; returns the exit code.
int ServeCqProxy(const std::string& listen, const std::string& target);

}  // namespace plughost::bench
