#include "host/app/open_file_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "host/common/log.h"

namespace plughost {
namespace {

std::string Describe(rlim_t value) {
  return value == RLIM_INFINITY ? "unlimited" : std::to_string(value);
}

}  // namespace

void RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    PH_LOG_WARN("host", "cannot read the open file limit: {}", std::strerror(errno));
    return;
  }
  if (limit.rlim_cur == limit.rlim_max) {
    PH_LOG_DEBUG("host", "open file limit: {} (already the hard limit)", Describe(limit.rlim_cur));
    return;
  }
  rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    PH_LOG_WARN("host", "cannot raise the open file limit from {} to {}: {}", Describe(before),
                Describe(limit.rlim_max), std::strerror(errno));
    return;
  }
  PH_LOG_INFO("host", "open file limit raised from {} to the hard limit {}", Describe(before),
              Describe(limit.rlim_max));
}

}  // namespace plughost
