#include "host/discovery/socket_folder.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace plughost {
namespace {

namespace fs = std::filesystem;

// Empty when the entry is a socket; otherwise why it is not probed.
std::string SkipReason(fs::file_type type) {
  switch (type) {
    case fs::file_type::socket:
      return "";
    case fs::file_type::directory:
      return "directory";
    case fs::file_type::regular:
      return "regular file, not a socket";
    case fs::file_type::symlink:
      return "symlink, not followed";
    case fs::file_type::fifo:
      return "other file type (fifo)";
    case fs::file_type::block:
      return "other file type (block device)";
    case fs::file_type::character:
      return "other file type (character device)";
    default:
      return "other file type";
  }
}

}  // namespace

bool IsHiddenEntry(const std::string& file_name) {
  return !file_name.empty() && file_name[0] == '.';
}

SocketFolderListing ListSocketFolder(const std::string& folder) {
  SocketFolderListing listing;
  try {
    std::error_code error;
    // The folder itself may be a symlink (e.g. a mounted volume); following it is the
    // operator's choice, unlike links inside it.
    fs::file_status status = fs::status(folder, error);
    if (status.type() == fs::file_type::not_found) {
      listing.folder_missing = true;
      return listing;
    }
    if (error) {
      listing.skipped.push_back({folder, "cannot stat socket folder: " + error.message()});
      return listing;
    }
    if (status.type() != fs::file_type::directory) {
      listing.skipped.push_back({folder, "socket folder is not a directory"});
      return listing;
    }

    fs::directory_iterator it(folder, error);
    if (error) {
      listing.skipped.push_back({folder, "cannot list socket folder: " + error.message()});
      return listing;
    }
    for (; it != fs::directory_iterator(); it.increment(error)) {
      if (IsHiddenEntry(it->path().filename().string())) continue;
      std::string path = it->path().string();  // "<folder>/<file name>"
      std::error_code entry_error;
      // symlink_status is lstat: it describes the link, not its target.
      fs::file_type type = it->symlink_status(entry_error).type();
      if (entry_error) {
        listing.skipped.push_back({path, "cannot stat: " + entry_error.message()});
        continue;
      }
      // "<name>.sock.lock" beside "<name>.sock" is the socket's own guard file (how our samples
      // and SDKs avoid stealing a live socket): expected, so not worth a warning per start.
      if (type == fs::file_type::regular && path.size() > 5 &&
          path.compare(path.size() - 5, 5, ".lock") == 0 &&
          fs::symlink_status(path.substr(0, path.size() - 5), entry_error).type() ==
              fs::file_type::socket) {
        continue;
      }
      std::string reason = SkipReason(type);
      if (reason.empty()) {
        listing.sockets.push_back(std::move(path));
      } else {
        listing.skipped.push_back({std::move(path), std::move(reason)});
      }
    }
    if (error) {
      listing.skipped.push_back({folder, "listing stopped early: " + error.message()});
    }
  } catch (const std::exception& e) {
    // Only allocation failures can get here; report them instead of unwinding into startup.
    listing.skipped.push_back({folder, std::string("cannot list socket folder: ") + e.what()});
  }
  std::sort(listing.sockets.begin(), listing.sockets.end());
  return listing;
}

}  // namespace plughost
