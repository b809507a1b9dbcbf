// Durations written as Go's time.Duration.String() writes them ("5s", "500ms", "1m30s",
// "1.5s", "1h0m0s"): daprd's GetMetadata reports the app health probe settings so, and apps
// and tools that parse them expect that syntax.
#pragma once

#include <chrono>
#include <string>

namespace plughost {

std::string GoDuration(std::chrono::nanoseconds duration);

}  // namespace plughost
