// Which world-writable socket folders the host trusts: a Kubernetes emptyDir of this pod, never
// a folder on a shared host.
#include <catch2/catch.hpp>

#include "host/discovery/folder_trust.h"

namespace plughost {
namespace {

// /proc/self/mountinfo of a daprd-injected pod: the socket folder is an emptyDir bind mount.
constexpr char kPodMountinfo[] =
    "900 800 0:300 / / rw,relatime - overlay overlay rw,lowerdir=/l\n"
    "901 900 8:1 "
    "/var/lib/kubelet/pods/1f2e/volumes/kubernetes.io~empty-dir/dapr-unix-domain-socket "
    "/tmp/dapr-components-sockets rw,relatime - ext4 /dev/sda1 rw\n"
    "902 900 8:1 /var/lib/kubelet/pods/1f2e/etc-hosts /etc/hosts rw,relatime - ext4 /dev/sda1 rw\n";

}  // namespace

TEST_CASE("an emptyDir socket folder in a pod is trusted", "[folder-trust]") {
  auto trust = JudgeWorldWritableFolder("/tmp/dapr-components-sockets", kPodMountinfo, true);
  CHECK(trust.pod_local);
  CHECK_THAT(trust.why, Catch::Contains("emptyDir"));
}

TEST_CASE("a world-writable folder outside an emptyDir is not trusted", "[folder-trust]") {
  // In a pod, but on the container's own filesystem.
  auto other = JudgeWorldWritableFolder("/var/run/sockets", kPodMountinfo, true);
  CHECK_FALSE(other.pod_local);
  CHECK_THAT(other.why, Catch::Contains("not an emptyDir"));
  // The same mounts without KUBERNETES_SERVICE_HOST: a shared host, never trusted.
  auto shared = JudgeWorldWritableFolder("/tmp/dapr-components-sockets", kPodMountinfo, false);
  CHECK_FALSE(shared.pod_local);
  CHECK_THAT(shared.why, Catch::Contains("KUBERNETES_SERVICE_HOST"));
}

}  // namespace plughost
