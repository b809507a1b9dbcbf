#include "host/discovery/folder_trust.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace plughost {
namespace {

// mountinfo escapes blanks in paths as octal (\040).
std::string Unescape(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      int value = 0;
      bool octal = true;
      for (size_t j = 1; j <= 3; ++j) {
        char c = field[i + j];
        if (c < '0' || c > '7') octal = false;
        value = value * 8 + (c - '0');
      }
      if (octal) {
        out += static_cast<char>(value);
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

bool Within(const std::string& path, const std::string& mount_point) {
  if (mount_point == "/") return true;
  return path == mount_point ||
         (path.size() > mount_point.size() &&
          path.compare(0, mount_point.size(), mount_point) == 0 && path[mount_point.size()] == '/');
}

}  // namespace

FolderTrust JudgeWorldWritableFolder(const std::string& folder, const std::string& mountinfo,
                                     bool in_kubernetes) {
  FolderTrust trust;
  if (!in_kubernetes) {
    trust.why =
        "not in a Kubernetes pod (KUBERNETES_SERVICE_HOST unset), so other users may "
        "share this folder";
    return trust;
  }
  std::error_code ec;
  std::string path =
      std::filesystem::weakly_canonical(std::filesystem::absolute(folder, ec), ec).string();
  // The longest mount point holding the folder is the mount it lives on.
  std::string best_point, best_root;
  std::istringstream lines(mountinfo);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string id, parent, device, root, point;
    if (!(fields >> id >> parent >> device >> root >> point)) continue;
    point = Unescape(point);
    if (Within(path, point) && point.size() >= best_point.size()) {
      best_point = point;
      best_root = Unescape(root);
    }
  }
  if (best_root.find("kubernetes.io~empty-dir/") != std::string::npos) {
    trust.pod_local = true;
    trust.why = "a pod-local emptyDir volume (mounted at " + best_point + ")";
  } else {
    trust.why = "in Kubernetes, but " +
                (best_point.empty() ? std::string("its mount is unknown")
                                    : "its mount " + best_point + " is not an emptyDir volume");
  }
  return trust;
}

FolderTrust JudgeWorldWritableFolder(const std::string& folder) {
  std::ifstream file("/proc/self/mountinfo");
  std::stringstream text;
  text << file.rdbuf();
  const char* k8s = std::getenv("KUBERNETES_SERVICE_HOST");
  return JudgeWorldWritableFolder(folder, text.str(), k8s != nullptr && *k8s != '\0');
}

}  // namespace plughost
