// The schedules bindings.cron accepts, and when they next fire:
//   "@every <duration>"   Go duration syntax: "500ms", "15s", "1h30m", "1.5h" (units ns, us, µs,
//                         ms, s, m, h). Fires every <duration> after the previous tick; unlike
//                         Dapr's cron library, sub-second durations are kept, not rounded to 1 s.
//   "@yearly" ("@annually"), "@monthly", "@weekly", "@daily" ("@midnight"), "@hourly"
//   5 fields  "minute hour day-of-month month day-of-week"
//   6 fields  "second minute hour day-of-month month day-of-week"
// Each field takes *, ?, a number, a name (JAN-DEC, SUN-SAT), lists a,b, ranges a-b and steps
// */n, a-b/n, a/n. As in Dapr's cron library, when both day fields are restricted a day
// matches either; times are local.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace plughost {

class CronSchedule {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // INVALID_ARGUMENT naming what is wrong, e.g. `hour field "25": 25 is above 23`.
  static absl::StatusOr<CronSchedule> Parse(std::string_view text);

  // The first firing time strictly after `after`; TimePoint::max() when the fields never match
  // within five years (e.g. "0 0 30 2 *").
  TimePoint Next(TimePoint after) const;

  // The fixed interval of an "@every" schedule, if this is one.
  std::optional<std::chrono::nanoseconds> every() const { return every_; }

 private:
  CronSchedule() = default;

  bool DayMatches(int day_of_month, int day_of_week) const;

  std::optional<std::chrono::nanoseconds> every_;
  // Bit i set: value i allowed.
  uint64_t seconds_ = 0;
  uint64_t minutes_ = 0;
  uint64_t hours_ = 0;
  uint64_t days_of_month_ = 0;
  uint64_t months_ = 0;
  uint64_t days_of_week_ = 0;
  // The field was "*" or "?": it does not restrict the day (see DayMatches).
  bool any_day_of_month_ = false;
  bool any_day_of_week_ = false;
};

// Parses a Go duration ("1h30m", "500ms", "1.5s"); INVALID_ARGUMENT when malformed.
absl::StatusOr<std::chrono::nanoseconds> ParseGoDuration(std::string_view text);

}  // namespace plughost
