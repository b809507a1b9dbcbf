// Go's time.Duration.String(), which daprd's metadata uses for the app health probe settings.
#include <catch2/catch.hpp>
#include <chrono>
#include <limits>

#include "host/api/go_duration.h"

namespace plughost {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST_CASE("durations are written as Go writes them") {
  CHECK(GoDuration(nanoseconds(0)) == "0s");
  CHECK(GoDuration(nanoseconds(1)) == "1ns");
  CHECK(GoDuration(nanoseconds(999)) == "999ns");
  CHECK(GoDuration(microseconds(1)) == "1\u00b5s");
  CHECK(GoDuration(nanoseconds(1'500)) == "1.5\u00b5s");
  CHECK(GoDuration(milliseconds(1)) == "1ms");
  CHECK(GoDuration(microseconds(1'250)) == "1.25ms");
  CHECK(GoDuration(milliseconds(500)) == "500ms");
  CHECK(GoDuration(nanoseconds(999'999'999)) == "999.999999ms");
  CHECK(GoDuration(seconds(1)) == "1s");
  CHECK(GoDuration(seconds(5)) == "5s");
  CHECK(GoDuration(milliseconds(1'500)) == "1.5s");
  CHECK(GoDuration(nanoseconds(1'000'000'001)) == "1.000000001s");
  CHECK(GoDuration(seconds(59)) == "59s");
  // From a minute on, smaller units are written even when zero.
  CHECK(GoDuration(seconds(60)) == "1m0s");
  CHECK(GoDuration(seconds(90)) == "1m30s");
  CHECK(GoDuration(milliseconds(90'500)) == "1m30.5s");
  CHECK(GoDuration(minutes(60)) == "1h0m0s");
  CHECK(GoDuration(hours(1) + seconds(1)) == "1h0m1s");
  CHECK(GoDuration(hours(100) + minutes(59)) == "100h59m0s");
}

TEST_CASE("negative durations carry a sign, the most negative one too") {
  CHECK(GoDuration(milliseconds(-500)) == "-500ms");
  CHECK(GoDuration(seconds(-90)) == "-1m30s");
  CHECK(GoDuration(nanoseconds(-1)) == "-1ns");
  // Go's minimum and maximum Durations.
  CHECK(GoDuration(nanoseconds(std::numeric_limits<int64_t>::min())) ==
        "-2562047h47m16.854775808s");
  CHECK(GoDuration(nanoseconds(std::numeric_limits<int64_t>::max())) == "2562047h47m16.854775807s");
}

}  // namespace
}  // namespace plughost
