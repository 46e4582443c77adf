#include "common/time_util.h"

#include <cstdio>
#include <ctime>

namespace imagefs {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::tm ToTm(int64_t micros) {
  int64_t secs = micros >= 0 ? micros / 1000000 : (micros - 999999) / 1000000;
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool Digits(int n, int* out) {
    if (pos_ + n > s_.size()) return false;
    int v = 0;
    for (int i = 0; i < n; ++i) {
      char c = s_[pos_ + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    pos_ += n;
    *out = v;
    return true;
  }
  bool Consume(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool AtEnd() const { return pos_ == s_.size(); }
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void Skip() { ++pos_; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::string FormatIsoZ(int64_t micros) {
  std::tm tm = ToTm(micros);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string FormatIsoMicros(int64_t micros) {
  std::tm tm = ToTm(micros);
  int64_t frac = micros % 1000000;
  if (frac < 0) frac += 1000000;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

Result<int64_t> ParseIso(std::string_view text) {
  Status bad = InvalidArgument("invalid ISO 8601 time: '" + std::string(text) + "'");
  Scanner sc(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  int64_t frac_us = 0;
  if (!sc.Digits(4, &y) || !sc.Consume('-') || !sc.Digits(2, &mo) || !sc.Consume('-') ||
      !sc.Digits(2, &d)) {
    return bad;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return bad;
  if (sc.Consume('T') || sc.Consume(' ')) {
    if (!sc.Digits(2, &h) || !sc.Consume(':') || !sc.Digits(2, &mi)) return bad;
    if (sc.Consume(':')) {
      if (!sc.Digits(2, &se)) return bad;
      if (sc.Consume('.') || sc.Consume(',')) {
        int64_t scale = 100000;
        int ndigits = 0;
        while (sc.Peek() >= '0' && sc.Peek() <= '9') {
          if (scale > 0) frac_us += (sc.Peek() - '0') * scale;
          scale /= 10;
          sc.Skip();
          ++ndigits;
        }
        if (ndigits == 0) return bad;
      }
    }
    if (h > 24 || mi > 59 || se > 60) return bad;
  }
  int64_t offset_s = 0;
  if (sc.Consume('Z') || sc.Consume('z')) {
  } else if (sc.Peek() == '+' || sc.Peek() == '-') {
    int sign = sc.Peek() == '-' ? -1 : 1;
    sc.Skip();
    int oh = 0, om = 0;
    if (!sc.Digits(2, &oh)) return bad;
    sc.Consume(':');
    if (!sc.AtEnd() && !sc.Digits(2, &om)) return bad;
    offset_s = sign * (oh * 3600 + om * 60);
  }
  if (!sc.AtEnd()) return bad;
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_s;
  return secs * 1000000 + frac_us;
}

}  // namespace imagefs
