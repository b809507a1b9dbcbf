// Gives back the memory that start-up touched and steady serving does not need.
//
// Start-up runs a lot of code once (protobuf descriptor pools, gRPC's init, configuration and
// resource-file parsing, discovery), and the kernel maps code in 64 KiB runs around each page
// that faults: after start-up the host has ~10 MB of its own code and read-only data mapped,
// most of which it never runs again. Those pages are clean copies of the binary's file, so
// unmapping them loses nothing: the page cache keeps them, and a page the host runs later is
// mapped back on its first use (a minor fault, no disk read while the file stays cached).
// The host calls it once started; so does the C++ SDK for every component built on it.
#pragma once

#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace plughost {

struct ReleasedPages {
  size_t code_bytes = 0;  // read-only file-backed ranges unmapped (they stay in the page cache)
  bool heap_trimmed = false;
};

namespace startup_pages_internal {

struct Range {
  uintptr_t begin = 0;
  uintptr_t end = 0;
};

inline uintptr_t PageSize() { return static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE)); }

// Unmaps [begin, end) shrunk to whole pages; returns the bytes given back.
inline size_t DropWholePages(Range range) {
  const uintptr_t page = PageSize();
  uintptr_t begin = (range.begin + page - 1) & ~(page - 1);
  uintptr_t end = range.end & ~(page - 1);
  if (end <= begin) return 0;
  // NOLINTNEXTLINE(performance-no-int-to-ptr): the address comes from the loader's headers.
  if (::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED) != 0) return 0;
  return end - begin;
}

inline int DropObject(dl_phdr_info* info, size_t /*size*/, void* released) {
  std::string_view name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  // The vDSO is the kernel's own mapping, not a file.
  if (name.starts_with("linux-vdso") || name.starts_with("linux-gate")) return 0;
  size_t* total = static_cast<size_t*>(released);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& header = info->dlpi_phdr[i];
    // A writable segment holds data only this process has (and RELRO data, relocated by the
    // loader before it made it read-only, lies in one): only segments never writable are
    // clean copies of the file.
    if (header.p_type != PT_LOAD || (header.p_flags & PF_W) != 0) continue;
    // Only the part backed by the file: what lies past p_filesz is zero-filled memory.
    *total += DropWholePages(
        {info->dlpi_addr + header.p_vaddr, info->dlpi_addr + header.p_vaddr + header.p_filesz});
  }
  return 0;
}

}  // namespace startup_pages_internal

// Unmaps the read-only, file-backed segments of the executable and its shared libraries
// (never a writable or RELRO range: those hold relocated data that exists only in memory),
// then returns the allocator's free pages to the system. Safe to call from any thread while
// others run.
inline ReleasedPages ReleaseStartupPages() {
  ReleasedPages released;
  ::dl_iterate_phdr(startup_pages_internal::DropObject, &released.code_bytes);
  released.heap_trimmed = ::malloc_trim(0) != 0;
  return released;
}

}  // namespace plughost
