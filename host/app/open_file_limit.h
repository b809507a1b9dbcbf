// The host holds a descriptor per app connection, component channel and watched socket. The
// common soft limit of 1,024 lets 1,100 idle connections exhaust it (gRPC then stops
// accepting for good), so at start the soft limit is raised to the hard one, as Go programs
// such as daprd do.
#pragma once

namespace plughost {

// Raises RLIMIT_NOFILE's soft limit to its hard limit and logs both (info when raised).
void RaiseOpenFileLimit();

}  // namespace plughost
