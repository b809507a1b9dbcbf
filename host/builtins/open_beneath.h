// Opening a file by a name relative to a root folder so that nothing - no "..", no symlink,
// not even one swapped in while the open runs - leads outside the root: openat2() with
// RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS where the kernel has it (Linux 5.6+), else a walk from
// the root's descriptor, one openat(O_NOFOLLOW) per path component.
#pragma once

#include <string>
#include <vector>

namespace plughost {

struct BeneathPath {
  std::vector<std::string> folders;  // each a plain name: no "", ".", ".." or '/'
  std::string leaf;
};

// Splits `relative` ("a/b/c.txt") into its parts; false for an absolute path, an empty one,
// or one with "..".
bool SplitBeneath(const std::string& relative, BeneathPath* path);

// The descriptor of the folder holding `path.leaf` (its folders created, mode 0750, when
// `create_folders`), or -1 with errno set (ELOOP/ENOTDIR for a symlink on the way). The caller
// closes it.
int OpenFolderBeneath(int root_fd, const BeneathPath& path, bool create_folders);

// open() of `path` under `root_fd`; symlinks anywhere on the way, the leaf included, fail
// with ELOOP (or EXDEV/ENOTDIR). `flags` as for open(); O_NOFOLLOW and O_CLOEXEC are added.
int OpenBeneath(int root_fd, const BeneathPath& path, int flags, int mode, bool create_folders);

}  // namespace plughost
