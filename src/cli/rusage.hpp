#pragma once
// The process's CPU time and peak RSS (getrusage), for the load tools' reports.
#include <sys/resource.h>

namespace ddb::cli {

struct cpu_clock {
  static double seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  }
  static long peak_rss_kb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
  }
};

}  // namespace ddb::cli
