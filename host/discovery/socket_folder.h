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

// Names starting with '.' are not components: a component server listens on a hidden staging
// name until it is whole, then renames the socket into place (sdk/cpp/unix_socket_server.h).
// Probing it earlier could reach a half-started server.
bool IsHiddenEntry(const std::string& file_name);

// Lists `folder` non-recursively, leaving hidden entries out. Entries are classified by lstat, so a
// symlink is never followed: a link to a socket could point outside the folder the operator vetted.
// A folder that exists but cannot be listed yields one SkippedEntry for the folder itself. Never
// throws.
SocketFolderListing ListSocketFolder(const std::string& folder);

}  // namespace plughost
