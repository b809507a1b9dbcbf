#include "host/builtins/cron_schedule.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <ctime>
#include <limits>
#include <vector>

namespace plughost {
namespace {

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const char* const* names;  // value names from `min` upwards, or nullptr
  int name_count;
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kWeekdayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

constexpr FieldSpec kSecond{"second", 0, 59, nullptr, 0};
constexpr FieldSpec kMinute{"minute", 0, 59, nullptr, 0};
constexpr FieldSpec kHour{"hour", 0, 23, nullptr, 0};
constexpr FieldSpec kDayOfMonth{"day-of-month", 1, 31, nullptr, 0};
constexpr FieldSpec kMonth{"month", 1, 12, kMonthNames, 12};
constexpr FieldSpec kDayOfWeek{"day-of-week", 0, 6, kWeekdayNames, 7};

absl::Status FieldError(const FieldSpec& spec, std::string_view field, std::string_view reason) {
  return absl::InvalidArgumentError(fmt::format("{} field \"{}\": {}", spec.name, field, reason));
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::vector<std::string_view> SplitWhitespace(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) parts.push_back(text.substr(start, i - start));
  }
  return parts;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// One value of a field: a number or, where the field has them, a name.
absl::StatusOr<int> ParseValue(const FieldSpec& spec, std::string_view field,
                               std::string_view text) {
  for (int i = 0; i < spec.name_count; ++i) {
    if (EqualsIgnoreCase(text, spec.names[i])) return spec.min + i;
  }
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return FieldError(spec, field, fmt::format("\"{}\" is not a number", text));
  }
  if (value < spec.min) {
    return FieldError(spec, field, fmt::format("{} is below {}", value, spec.min));
  }
  if (value > spec.max) {
    return FieldError(spec, field, fmt::format("{} is above {}", value, spec.max));
  }
  return value;
}

// Sets the bits `field` allows; `*any` tells whether it was a bare "*" or "?".
absl::Status ParseField(const FieldSpec& spec, std::string_view field, uint64_t* bits,
                        bool* any = nullptr) {
  if (any != nullptr) *any = field == "*" || field == "?";
  *bits = 0;
  for (std::string_view part : Split(field, ',')) {
    auto range_and_step = Split(part, '/');
    if (part.empty() || range_and_step.size() > 2) {
      return FieldError(spec, field, fmt::format("\"{}\" is not a value, range or step", part));
    }
    std::string_view range = range_and_step[0];
    int low = spec.min;
    int high = spec.max;
    if (range != "*" && range != "?") {
      auto bounds = Split(range, '-');
      if (bounds.size() > 2) {
        return FieldError(spec, field, fmt::format("\"{}\" is not a range", range));
      }
      auto first = ParseValue(spec, field, bounds[0]);
      if (!first.ok()) return first.status();
      low = *first;
      if (bounds.size() == 2) {
        auto last = ParseValue(spec, field, bounds[1]);
        if (!last.ok()) return last.status();
        high = *last;
        if (high < low) {
          return FieldError(spec, field, fmt::format("range {}-{} runs backwards", low, high));
        }
      } else if (range_and_step.size() == 1) {
        high = low;  // a single value; "a/n" means a to the maximum, every n
      }
    }
    int step = 1;
    if (range_and_step.size() == 2) {
      std::string_view text = range_and_step[1];
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), step);
      if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || step <= 0) {
        return FieldError(spec, field, fmt::format("step \"{}\" is not a positive number", text));
      }
    }
    for (int value = low; value <= high; value += step) *bits |= uint64_t{1} << value;
  }
  return absl::OkStatus();
}

bool Has(uint64_t bits, int value) { return (bits >> value) & 1; }

// mktime normalises out-of-range fields (the 32nd day, the 24th hour) and resolves DST.
std::time_t Normalize(std::tm* tm) {
  tm->tm_isdst = -1;
  std::time_t t = std::mktime(tm);
  localtime_r(&t, tm);
  return t;
}

struct Unit {
  std::string_view suffix;
  double nanoseconds;
};

// Longest suffixes first, so "ms" is not read as "m" followed by garbage.
constexpr Unit kUnits[] = {
    {"ns", 1},   {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"\xCE\xBCs", 1e3},
    {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9},
};

}  // namespace

absl::StatusOr<std::chrono::nanoseconds> ParseGoDuration(std::string_view text) {
  const std::string original(text);
  auto invalid = [&original](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format("duration \"{}\": {}", original, why));
  };
  if (text.empty()) return invalid("empty");
  bool negative = false;
  if (text[0] == '-' || text[0] == '+') {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text == "0") return std::chrono::nanoseconds(0);
  if (text.empty()) return invalid("no number");
  long double total = 0;
  while (!text.empty()) {
    size_t i = 0;
    long double whole = 0;
    bool digits = false;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      whole = whole * 10 + (text[i++] - '0');
      digits = true;
    }
    long double fraction = 0;
    if (i < text.size() && text[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        fraction += (text[i++] - '0') * scale;
        scale /= 10;
        digits = true;
      }
    }
    if (!digits) return invalid("expected a number");
    text.remove_prefix(i);
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (text.substr(0, candidate.suffix.size()) == candidate.suffix &&
          (unit == nullptr || candidate.suffix.size() > unit->suffix.size())) {
        unit = &candidate;
      }
    }
    if (unit == nullptr) return invalid("missing or unknown unit (use ns, us, ms, s, m or h)");
    text.remove_prefix(unit->suffix.size());
    total += (whole + fraction) * unit->nanoseconds;
    if (total > static_cast<long double>(std::numeric_limits<int64_t>::max())) {
      return invalid("too long");
    }
  }
  auto nanoseconds = std::chrono::nanoseconds(static_cast<int64_t>(total));
  return negative ? -nanoseconds : nanoseconds;
}

absl::StatusOr<CronSchedule> CronSchedule::Parse(std::string_view text) {
  std::vector<std::string_view> fields = SplitWhitespace(text);
  if (fields.empty()) return absl::InvalidArgumentError("the schedule is empty");

  CronSchedule schedule;
  if (fields[0] == "@every") {
    if (fields.size() != 2) {
      return absl::InvalidArgumentError("\"@every\" takes one duration, e.g. \"@every 15s\"");
    }
    auto every = ParseGoDuration(fields[1]);
    if (!every.ok()) return every.status();
    if (*every < std::chrono::milliseconds(1)) {
      return absl::InvalidArgumentError(
          fmt::format("\"@every {}\": the interval must be at least 1ms", fields[1]));
    }
    schedule.every_ = *every;
    return schedule;
  }

  static constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kDescriptors = {{
      {"@yearly", "0 0 0 1 1 *"},
      {"@annually", "0 0 0 1 1 *"},
      {"@monthly", "0 0 0 1 * *"},
      {"@weekly", "0 0 0 * * 0"},
      {"@daily", "0 0 0 * * *"},
      {"@midnight", "0 0 0 * * *"},
      {"@hourly", "0 0 * * * *"},
  }};
  if (fields[0][0] == '@') {
    for (const auto& [name, expansion] : kDescriptors) {
      if (fields.size() == 1 && fields[0] == name) return Parse(expansion);
    }
    return absl::InvalidArgumentError(fmt::format(
        "unknown descriptor \"{}\" (use @every <duration>, @yearly, @monthly, @weekly, @daily "
        "or @hourly)",
        text));
  }

  if (fields.size() == 5) fields.insert(fields.begin(), "0");
  if (fields.size() != 6) {
    return absl::InvalidArgumentError(fmt::format(
        "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with seconds "
        "first), got {}",
        fields.size()));
  }
  absl::Status status;
  if (!(status = ParseField(kSecond, fields[0], &schedule.seconds_)).ok() ||
      !(status = ParseField(kMinute, fields[1], &schedule.minutes_)).ok() ||
      !(status = ParseField(kHour, fields[2], &schedule.hours_)).ok() ||
      !(status = ParseField(kDayOfMonth, fields[3], &schedule.days_of_month_,
                            &schedule.any_day_of_month_))
           .ok() ||
      !(status = ParseField(kMonth, fields[4], &schedule.months_)).ok() ||
      !(status =
            ParseField(kDayOfWeek, fields[5], &schedule.days_of_week_, &schedule.any_day_of_week_))
           .ok()) {
    return status;
  }
  return schedule;
}

bool CronSchedule::DayMatches(int day_of_month, int day_of_week) const {
  bool month_day = Has(days_of_month_, day_of_month);
  bool week_day = Has(days_of_week_, day_of_week);
  if (any_day_of_month_ || any_day_of_week_) return month_day && week_day;
  return month_day || week_day;
}

CronSchedule::TimePoint CronSchedule::Next(TimePoint after) const {
  if (every_) {
    return after + std::chrono::duration_cast<TimePoint::duration>(*every_);
  }
  // Whole seconds, strictly after `after`.
  std::time_t start = std::chrono::system_clock::to_time_t(after) + 1;
  std::tm tm{};
  localtime_r(&start, &tm);
  const int last_year = tm.tm_year + 5;
  std::time_t current = start;
  // Each step moves to the start of the next candidate month, day, hour, minute or second.
  for (int steps = 0; steps < 100000 && tm.tm_year <= last_year; ++steps) {
    if (!Has(months_, tm.tm_mon + 1)) {
      tm.tm_mon += 1;
      tm.tm_mday = 1;
      tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    } else if (!DayMatches(tm.tm_mday, tm.tm_wday)) {
      tm.tm_mday += 1;
      tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    } else if (!Has(hours_, tm.tm_hour)) {
      tm.tm_hour += 1;
      tm.tm_min = tm.tm_sec = 0;
    } else if (!Has(minutes_, tm.tm_min)) {
      tm.tm_min += 1;
      tm.tm_sec = 0;
    } else if (!Has(seconds_, tm.tm_sec)) {
      tm.tm_sec += 1;
    } else {
      return std::chrono::system_clock::from_time_t(current);
    }
    std::time_t next = Normalize(&tm);
    if (next <= current) {
      // A DST fold sent local time back onto itself: move on in absolute time instead.
      next = current + 1;
      localtime_r(&next, &tm);
    }
    current = next;
  }
  return TimePoint::max();
}

}  // namespace plughost
