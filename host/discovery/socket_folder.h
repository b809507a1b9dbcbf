// Lists a socket folder and sorts its entries into sockets to probe and entries to skip.
#pragma once

#include <string>
#include <vector>

#include "host/discovery/discovery.h"

namespace plughost {

struct SocketFolderListing {
  bool folder_missing = false;        // the folder does not exist: no pluggable components
  std::vector<std::string> sockets;   // "<folder>/<file>" for every Unix socket, sorted
  std::vector<SkippedEntry> skipped;  // everything that is not a socket, with the reason
};

// Lists `folder` non-recursively. Entries are classified by lstat, so a symlink is never
// followed: a link to a socket could point outside the folder the operator vetted. A folder
// that exists but cannot be listed yields one SkippedEntry for the folder itself. Never throws.
SocketFolderListing ListSocketFolder(const std::string& folder);

}  // namespace plughost
