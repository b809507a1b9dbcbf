#include "host/builtins/cron_schedule.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>

namespace plughost {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using TimePoint = CronSchedule::TimePoint;

// Schedules use local time; the expectations below are written in UTC.
void UseUtc() {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
}

TimePoint Utc(int year, int month, int day, int hour, int minute, int second) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

std::string Format(TimePoint when) {
  if (when == TimePoint::max()) return "never";
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

std::string NextAfter(const std::string& schedule, TimePoint after) {
  auto parsed = CronSchedule::Parse(schedule);
  INFO(schedule << ": " << parsed.status().message());
  REQUIRE(parsed.ok());
  return Format(parsed->Next(after));
}

// Sunday 2024-03-10 10:07:30 UTC.
const TimePoint kBase = Utc(2024, 3, 10, 10, 7, 30);

}  // namespace

TEST_CASE("cron: five-field expressions fire on the next matching minute", "[cron]") {
  UseUtc();
  CHECK(NextAfter("*/15 * * * *", kBase) == "2024-03-10 10:15:00");
  CHECK(NextAfter("* * * * *", kBase) == "2024-03-10 10:08:00");
  CHECK(NextAfter("0 9 * * 1-5", kBase) == "2024-03-11 09:00:00");  // Sunday -> Monday
  CHECK(NextAfter("0 0 1,15 * *", kBase) == "2024-03-15 00:00:00");
  CHECK(NextAfter("5-10/5 10 * * *", kBase) == "2024-03-10 10:10:00");
  CHECK(NextAfter("5-10/5 9 * * *", kBase) == "2024-03-11 09:05:00");
}

TEST_CASE("cron: the next tick is strictly after the given time", "[cron]") {
  UseUtc();
  CHECK(NextAfter("*/15 * * * *", Utc(2024, 3, 10, 10, 15, 0)) == "2024-03-10 10:30:00");
  CHECK(NextAfter("*/15 * * * *", Utc(2024, 3, 10, 10, 14, 59) + milliseconds(999)) ==
        "2024-03-10 10:15:00");
  CHECK(NextAfter("0 0 * * *", Utc(2024, 12, 31, 23, 59, 59)) == "2025-01-01 00:00:00");
}

TEST_CASE("cron: six fields put seconds first", "[cron]") {
  UseUtc();
  CHECK(NextAfter("30 */2 * * * *", kBase) == "2024-03-10 10:08:30");
  CHECK(NextAfter("*/10 * * * * *", kBase) == "2024-03-10 10:07:40");
  CHECK(NextAfter("0 0 12 * * SUN", kBase) == "2024-03-10 12:00:00");
  CHECK(NextAfter("15,45 7 10 * * ?", kBase) == "2024-03-10 10:07:45");
}

TEST_CASE("cron: names, month boundaries and the day-of-month/day-of-week rule", "[cron]") {
  UseUtc();
  CHECK(NextAfter("0 12 * JAN,feb MON", kBase) == "2025-01-06 12:00:00");
  CHECK(NextAfter("0 0 29 2 *", kBase) == "2028-02-29 00:00:00");
  // Both day fields restricted: either matches (the 13th is a Wednesday, before Friday 15th).
  CHECK(NextAfter("0 0 13 * 5", kBase) == "2024-03-13 00:00:00");
  // One of them "*": both must match, i.e. only the other one restricts.
  CHECK(NextAfter("0 0 * * 5", kBase) == "2024-03-15 00:00:00");
  CHECK(NextAfter("0 0 13 * *", kBase) == "2024-03-13 00:00:00");
  // Never matches within five years.
  CHECK(NextAfter("0 0 30 2 *", kBase) == "never");
}

TEST_CASE("cron: descriptors", "[cron]") {
  UseUtc();
  CHECK(NextAfter("@hourly", kBase) == "2024-03-10 11:00:00");
  CHECK(NextAfter("@daily", kBase) == "2024-03-11 00:00:00");
  CHECK(NextAfter("@midnight", kBase) == "2024-03-11 00:00:00");
  CHECK(NextAfter("@weekly", kBase) == "2024-03-17 00:00:00");
  CHECK(NextAfter("@monthly", kBase) == "2024-04-01 00:00:00");
  CHECK(NextAfter("@yearly", kBase) == "2025-01-01 00:00:00");
  CHECK(NextAfter("@annually", kBase) == "2025-01-01 00:00:00");
}

TEST_CASE("cron: @every keeps its exact interval, sub-second ones included", "[cron]") {
  for (auto [text, interval] :
       {std::pair<const char*, std::chrono::nanoseconds>{"@every 500ms", milliseconds(500)},
        {"@every 1s", seconds(1)},
        {"@every 15m", minutes(15)},
        {"@every 1h", hours(1)},
        {"@every 1h30m", minutes(90)},
        {"@every 1.5s", milliseconds(1500)}}) {
    auto schedule = CronSchedule::Parse(text);
    INFO(text);
    REQUIRE(schedule.ok());
    REQUIRE(schedule->every().has_value());
    CHECK(*schedule->every() == interval);
    CHECK(schedule->Next(kBase) - kBase == interval);
  }
}

TEST_CASE("cron: bad schedules are refused with the reason", "[cron]") {
  struct Bad {
    const char* schedule;
    const char* reason;
  };
  for (auto [schedule, reason] : {
           Bad{"", "empty"},
           Bad{"   ", "empty"},
           Bad{"@every", "one duration"},
           Bad{"@every 0s", "at least 1ms"},
           Bad{"@every 5", "unit"},
           Bad{"@every 5x", "unit"},
           Bad{"@every -1s", "at least 1ms"},
           Bad{"@often", "unknown descriptor"},
           Bad{"@daily 5", "unknown descriptor"},
           Bad{"* * * *", "expected 5 fields"},
           Bad{"* * * * * * *", "got 7"},
           Bad{"60 * * * *", "minute field \"60\": 60 is above 59"},
           Bad{"* 24 * * *", "hour field"},
           Bad{"* * 0 * *", "day-of-month field \"0\": 0 is below 1"},
           Bad{"* * * 13 *", "month field"},
           Bad{"* * * * 7", "day-of-week field"},
           Bad{"*/0 * * * *", "step \"0\""},
           Bad{"5-1 * * * *", "runs backwards"},
           Bad{"a * * * *", "\"a\" is not a number"},
           Bad{"1,,2 * * * *", "minute field"},
           Bad{"1-2-3 * * * *", "not a range"},
       }) {
    auto parsed = CronSchedule::Parse(schedule);
    INFO("schedule \"" << schedule << "\"");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(parsed.status().message()), Catch::Contains(reason));
  }
}

TEST_CASE("cron: Go durations", "[cron]") {
  CHECK(*ParseGoDuration("1h30m") == minutes(90));
  CHECK(*ParseGoDuration("500ms") == milliseconds(500));
  CHECK(*ParseGoDuration("2us") == std::chrono::microseconds(2));
  CHECK(*ParseGoDuration("2\xC2\xB5s") == std::chrono::microseconds(2));
  CHECK(*ParseGoDuration("7ns") == std::chrono::nanoseconds(7));
  CHECK(*ParseGoDuration("0") == std::chrono::nanoseconds(0));
  CHECK(*ParseGoDuration("-1.5h") == -minutes(90));
  CHECK(*ParseGoDuration(".5s") == milliseconds(500));
  for (const char* bad : {"", "1", "h", ".h", "1hh", "1d", "+", "1h 30m"}) {
    INFO(bad);
    CHECK_FALSE(ParseGoDuration(bad).ok());
  }
}

}  // namespace plughost
