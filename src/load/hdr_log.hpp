#pragma once
// HdrHistogram's interval log (pure code): one compressed histogram per
// interval, so that HdrHistogram's own tools (HistogramLogProcessor and
// friends) read what `ddb load run --hdr-log FILE` writes, and so that logs
// of several workers merge exactly.
//
// A histogram is written in HdrHistogram's V2 encoding: a 40-byte big-endian
// header (cookie 0x1c849313, payload length, normalizing offset 0,
// significant digits, lowest 1, highest, conversion ratio 1.0) and the
// counts up to the largest recorded value as ZigZag LEB128 words, a run of
// zeros as one negative word; then deflated (zlib) behind the compressed
// cookie 0x1c849314 and its length, and base64 ("HISTF...").
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/error.hpp"
#include "load/histogram.hpp"

namespace ddb::load {

std::string encode_histogram(const histogram& h);          // base64 of the compressed V2 encoding
result<histogram> decode_histogram(std::string_view base64);  // what encode_histogram wrote (or HdrHistogram's V2)

// The log's text: a header, then one line per interval.
//   #[Histogram log format version 1.3]
//   #[StartTime: 1796590000.000 (seconds since epoch)]
//   "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
//   0.000,1.000,0.842,HISTFAAAA...
// Timestamps are seconds from the start time; Interval_Max is the largest
// value in the log's unit divided by max_ratio (1000 for microseconds: ms).
std::string log_header(double start_epoch_seconds);
std::string log_line(double start_s, double length_s, const histogram& h, double max_ratio = 1000.0);

struct log_interval {
  double start_s = 0, length_s = 0;
  histogram h{2, 1};
};
// Every interval of a log (comments and the column header skipped); an
// unreadable line is an error naming its number.
result<std::vector<log_interval>> read_log(std::string_view text);

}  // namespace ddb::load
