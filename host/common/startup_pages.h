// Gives back the memory that start-up touched and steady serving does not need.
//
// Start-up runs a lot of code once (protobuf descriptor pools, gRPC's init, configuration and
// resource-file parsing, discovery), and the kernel maps code in 64 KiB runs around each page
// that faults: after start-up the host has ~10 MB of its own code and read-only data mapped,
// most of which it never runs again. Those pages are clean copies of the binary's file, so
// unmapping them loses nothing: the page cache keeps them, and a page the host runs later is
// mapped back on its first use (a minor fault, no disk read while the file stays cached).
#pragma once

#include <cstddef>

namespace plughost {

struct ReleasedPages {
  size_t code_bytes = 0;  // read-only file-backed ranges unmapped (they stay in the page cache)
  bool heap_trimmed = false;
};

// Unmaps the read-only, file-backed segments of the executable and its shared libraries
// (never a writable or RELRO range: those hold relocated data that exists only in memory),
// then returns the allocator's free pages to the system. Safe to call from any thread while
// others run.
ReleasedPages ReleaseStartupPages();

}  // namespace plughost
