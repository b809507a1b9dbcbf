#include "host/api/go_duration.h"

#include <cstdint>
#include <string>

namespace plughost {

namespace {

// `value` in units of 10^-`digits`, as "<whole>[.<fraction without trailing zeros>]".
std::string WithFraction(uint64_t value, int digits) {
  uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  std::string text = std::to_string(value / scale);
  std::string fraction = std::to_string(value % scale);
  fraction.insert(0, static_cast<size_t>(digits) - fraction.size(), '0');
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  if (!fraction.empty()) text += "." + fraction;
  return text;
}

}  // namespace

std::string GoDuration(std::chrono::nanoseconds duration) {
  int64_t count = duration.count();
  // The magnitude as unsigned, so the most negative value negates without overflow.
  uint64_t ns = count < 0 ? ~static_cast<uint64_t>(count) + 1 : static_cast<uint64_t>(count);
  std::string sign = count < 0 ? "-" : "";
  if (ns == 0) return "0s";
  // Below a second Go picks one unit, with a fraction; "µ" is U+00B5 as Go writes it.
  if (ns < 1'000) return sign + std::to_string(ns) + "ns";
  if (ns < 1'000'000) return sign + WithFraction(ns, 3) + "\u00b5s";
  if (ns < 1'000'000'000) return sign + WithFraction(ns, 6) + "ms";
  // From a second up: hours and minutes whole, seconds with their fraction; once a larger
  // unit is written the smaller ones are too, zero or not ("1h0m0s").
  std::string seconds = WithFraction(ns % 60'000'000'000, 9) + "s";
  uint64_t minutes = ns / 60'000'000'000;
  if (minutes == 0) return sign + seconds;
  std::string text = std::to_string(minutes % 60) + "m" + seconds;
  if (minutes >= 60) text = std::to_string(minutes / 60) + "h" + text;
  return sign + text;
}

}  // namespace plughost
