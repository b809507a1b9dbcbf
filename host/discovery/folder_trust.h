// Whether a world-writable socket folder may still be trusted. On a shared host it may not:
// any user could plant a socket there and be sent Init metadata (secrets included). In a
// Kubernetes pod, Dapr's injector gives the folder an emptyDir volume, which is mode 0777 but
// mounted into this pod only: nobody outside the pod can write to it.
#pragma once

#include <string>

namespace plughost {

struct FolderTrust {
  bool pod_local = false;  // an emptyDir volume of this pod
  std::string why;         // one line for the log either way
};

// `folder` must be absolute or relative to the working directory; `mountinfo` is the text of
// /proc/self/mountinfo; `in_kubernetes` whether KUBERNETES_SERVICE_HOST is set. The folder is
// pod-local when we run in Kubernetes and the mount holding it is a kubelet emptyDir volume.
FolderTrust JudgeWorldWritableFolder(const std::string& folder, const std::string& mountinfo,
                                     bool in_kubernetes);

// The same for this process: reads /proc/self/mountinfo and the environment.
FolderTrust JudgeWorldWritableFolder(const std::string& folder);

}  // namespace plughost
