// `ddb load`'s pure parts: the HdrHistogram-layout histogram (layout,
// precision, exact merges, fixed memory), the rate schedule (steps, ramps,
// fractional rates, bad input), and the open loop on a virtual clock: a
// server that stalls is measured from the intended send times (the
// analytically expected, omission-corrected latencies), while the service
// time alone hides the stall.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <random>

#include "load/hdr_log.hpp"
#include "load/histogram.hpp"
#include "load/hot_keys.hpp"
#include "load/intervals.hpp"
#include "load/keys.hpp"
#include "load/report.hpp"
#include "load/sizes.hpp"
#include "load/html.hpp"
#include "load/mix.hpp"
#include "load/open_loop.hpp"
#include "load/schedule.hpp"

using namespace ddb;
using namespace ddb::load;
using namespace std::chrono_literals;

TEST_CASE("histogram: HdrHistogram's layout, precision within the digits asked", "[load]") {
  const histogram h(3'600'000'000, 3);  // an hour in microseconds, 3 digits: HdrHistogram's 23,552 counts
  CHECK(h.counts_length() == 23552);
  CHECK(histogram(3'600'000'000, 2).counts_length() == 3328);  // 256 sub-buckets, 25 buckets
  CHECK(histogram(1000, 1).counts_length() == 112);             // 32 sub-buckets, 6 buckets
  // Values below 2 x 10^digits are exact; above, a bucket spans at most 1/1000 of its values.
  CHECK(h.lowest_equivalent(2047) == 2047);
  CHECK(h.highest_equivalent(2047) == 2047);
  CHECK(h.lowest_equivalent(5001) == 5000);
  CHECK(h.highest_equivalent(5001) == 5003);
  for (std::int64_t v : {1LL, 999LL, 2048LL, 123'456LL, 9'999'999LL, 3'599'999'999LL}) {
    INFO(v);
    CHECK(h.value_at_index(h.index_of(v)) == h.lowest_equivalent(v));
    CHECK(h.highest_equivalent(v) - h.lowest_equivalent(v) <= std::max<std::int64_t>(0, v / 1000));
  }

  histogram u(3'600'000'000, 3);
  for (std::int64_t v = 1; v <= 100'000; ++v) u.record(v);
  for (double p : {50.0, 90.0, 99.0, 99.9, 99.99, 99.999}) {
    const double exact = p / 100.0 * 100'000;
    INFO(p);
    CHECK(std::abs(static_cast<double>(u.value_at_percentile(p)) - exact) <= exact * 1e-3 + 1);
  }
  CHECK(u.value_at_percentile(100) == u.max());
  CHECK(u.max() == u.highest_equivalent(100'000));
  CHECK(u.min() == 1);
  CHECK(u.mean() == Approx(50'000.5));
  CHECK(u.count() == 100'000);
}

TEST_CASE("histogram: merges are exact; memory does not grow with the samples; bad ranges refused", "[load]") {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(7.0, 1.5);
  histogram a(3'600'000'000, 3), b(3'600'000'000, 3), all(3'600'000'000, 3);
  const std::size_t bytes = a.memory_bytes();
  for (int i = 0; i < 200'000; ++i) {
    const auto v = static_cast<std::int64_t>(dist(rng));
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  histogram merged = a;
  merged.merge(b);
  CHECK(merged.counts() == all.counts());
  CHECK(merged.count() == all.count());
  CHECK(merged.max() == all.max());
  CHECK(merged.value_at_percentile(99.9) == all.value_at_percentile(99.9));
  CHECK(a.memory_bytes() == bytes);  // 200,000 samples later
  CHECK(bytes == 23552 * 8);

  histogram small(1000, 3);
  small.record(5000);
  small.record(-3);
  CHECK(small.clamped() == 2);
  CHECK(small.count() == 2);
  CHECK_THROWS_AS(a.merge(small), ddb::error);
  CHECK_THROWS_AS(histogram(1000, 0), ddb::error);
  CHECK_THROWS_AS(histogram(1000, 6), ddb::error);
  CHECK_THROWS_AS(histogram(1, 3), ddb::error);
}

TEST_CASE("schedule: constant, fractional, stepped and ramped rates", "[load]") {
  auto c = schedule::constant(1000, 1s);
  REQUIRE(c);
  CHECK(c->total() == 1000);
  CHECK(c->at(0) == 0ns);
  CHECK(c->at(999) == 999ms);
  CHECK_FALSE(c->at(1000));

  auto half = schedule::constant(0.5, 10s);  // one request every 2 s
  REQUIRE(half);
  CHECK(half->total() == 5);
  CHECK(half->at(4) == 8s);

  auto ramp = schedule::parse("0-100/10s");  // N(t) = 5 t^2: request n at sqrt(n / 5) s
  REQUIRE(ramp);
  CHECK(ramp->total() == 500);
  CHECK(ramp->at(125) == 5s);
  CHECK(ramp->rate_at(5s) == Approx(50));
  for (std::int64_t n = 1; n < 500; ++n) REQUIRE(*ramp->at(n) > *ramp->at(n - 1));  // strictly in order

  auto steps = schedule::parse("100/1s,0/1s,100/1s");
  REQUIRE(steps);
  CHECK(steps->total() == 200);
  CHECK(steps->at(99) == 990ms);
  CHECK(steps->at(100) == 2s);  // nothing while the rate is 0
  CHECK(steps->length() == 3s);

  auto down = schedule::parse("1000-0/2s");  // a ramp down: 1,000 requests, all within the 2 s
  REQUIRE(down);
  CHECK(down->total() == 1000);
  CHECK(*down->at(999) <= 2s);
}

TEST_CASE("schedule: rates and plans beyond exact counting are refused (found by fuzz_specs)", "[load]") {
  // A rate of 1e123 made the planned count overflow a 64-bit integer (UB).
  CHECK_THAT(schedule::parse("917/10s,1055555555555555555555555555555555555555555555500/31m").error().message,
             Catch::Contains("at most 10,000,000 requests per second"));
  CHECK_THAT(schedule::constant(2e7, std::chrono::seconds(1)).error().message, Catch::Contains("at most 10,000,000"));
  CHECK_THAT(schedule::parse("1/20d").error().message, Catch::Contains("duration"));
  CHECK_THAT(schedule::parse("1/30d").error().message, Catch::Contains("duration"));
  CHECK_THAT(schedule::parse("1/700h,1/100h").error().message, Catch::Contains("longer than 31 days"));
  auto biggest = schedule::parse("10000000/744h");
  REQUIRE(biggest);
  CHECK(biggest->total() == 10'000'000LL * 744 * 3600);
  CHECK(biggest->at(biggest->total() - 1));
}

TEST_CASE("schedule: durations and bad schedules are clear errors", "[load]") {
  CHECK(*parse_duration("10s") == 10s);
  CHECK(*parse_duration("2m") == 120s);
  CHECK(*parse_duration("250ms") == 250ms);
  CHECK(*parse_duration("1.5") == 1500ms);
  CHECK(*parse_duration("1h") == 3600s);
  for (const char* bad : {"", "0", "-1s", "x", "10q", "s"}) {
    INFO(bad);
    auto d = parse_duration(bad);
    REQUIRE_FALSE(d);
    CHECK(d.error().code == errc::invalid_config);
  }
  CHECK_THAT(parse_duration("x").error().message, Catch::Contains("expected e.g. 10s"));
  CHECK_THAT(schedule::constant(0, 1s).error().message, Catch::Contains("positive"));
  CHECK_THAT(schedule::constant(-5, 1s).error().message, Catch::Contains("positive"));
  CHECK_THAT(schedule::parse("100").error().message, Catch::Contains("RATE/LENGTH"));
  CHECK_THAT(schedule::parse("0/10s").error().message, Catch::Contains("no requests"));
  CHECK_THAT(schedule::parse("-5/1s").error().message, Catch::Contains("not be negative"));
  CHECK_THAT(schedule::parse("abc/1s").error().message, Catch::Contains("not a number"));
  CHECK_FALSE(schedule::parse("100/0s"));
}

namespace {

// The rank of the p-th percentile among n sorted values, as HdrHistogram counts it.
std::size_t rank(double p, std::size_t n) {
  return static_cast<std::size_t>(std::max(1.0, std::floor(p / 100 * static_cast<double>(n) + 0.5)));
}

// A server on a virtual clock: each request takes `service`, one at a time
// per request in flight, except that nothing is answered during the first
// `stall` of every second: a request in the server then completes at the
// stall's end plus its service time.
struct stalling_server {
  nanos service = 1ms, stall = 100ms;
  nanos finish(nanos received) const {
    const nanos into = received % 1s;
    const nanos start = into < stall ? received - into + stall : received;
    return start + service;
  }
};

// Drives an open loop against the server: events in time order.
struct simulation {
  open_loop loop;
  stalling_server server;
  struct pending {
    due_request r;
    nanos sent, done;
  };
  std::vector<pending> flying;

  void run() {
    std::vector<due_request> out;
    nanos now{0};
    while (!loop.finished()) {
      loop.due(now, out);
      for (const due_request& r : out) flying.push_back({r, now, server.finish(now)});
      // The next event: a completion or the next intended send.
      nanos next = nanos::max();
      for (const pending& p : flying) next = std::min(next, p.done);
      if (auto w = loop.next_wake()) next = std::min(next, *w);
      REQUIRE(next != nanos::max());
      now = next;
      for (auto it = flying.begin(); it != flying.end();) {
        if (it->done <= now) {
          loop.completed(it->r, it->sent, now, true);
          it = flying.erase(it);
        } else {
          ++it;
        }
      }
    }
  }
};

}  // namespace

TEST_CASE("open loop: a stalling server measured from the intended times (omission corrected)", "[load]") {
  // 1,000 requests a second for 10 s, none held back: requests meant to leave
  // during a stall wait for its end. Expected latency of request n (intended
  // at n ms): the server's own answer time, which the test computes
  // independently; the stall shows in the top 10%.
  auto plan = schedule::constant(1000, 10s);
  REQUIRE(plan);
  simulation sim{open_loop(*plan, {.max_in_flight = 100'000}), {}, {}};
  sim.run();
  const open_loop& l = sim.loop;
  CHECK(l.counts().sent == 10'000);
  CHECK(l.counts().completed == 10'000);
  CHECK(l.counts().late == 0);
  std::vector<std::int64_t> expected;
  for (std::int64_t n = 0; n < 10'000; ++n) {
    const nanos intended = std::chrono::milliseconds(n);
    expected.push_back((sim.server.finish(intended) - intended).count() / 1000);
  }
  std::sort(expected.begin(), expected.end());
  auto exact = [&](double p) { return expected[rank(p, expected.size()) - 1]; };
  for (double p : {50.0, 90.0, 95.0, 99.0, 99.9}) {
    INFO("p" << p << ": measured " << l.latency().value_at_percentile(p) << " us, expected " << exact(p) << " us");
    CHECK(std::abs(l.latency().value_at_percentile(p) - exact(p)) <= exact(p) / 1000 + 1);
  }
  CHECK(l.latency().value_at_percentile(95) > 40'000);  // half the stalled tenth waited over 50 ms
  CHECK(l.latency().value_at_percentile(50) <= 1'001);
}

TEST_CASE("open loop: a sender held back by its cap is charged the wait; service time hides it", "[load]") {
  // One request in flight at most (a closed loop in disguise), 500 a second:
  // during each 100 ms stall the sender cannot send, the naive measure (from
  // the actual send) sees ~1 ms everywhere but one request per stall; the
  // corrected one sees the queue that builds and drains.
  auto plan = schedule::constant(500, 10s);
  REQUIRE(plan);
  simulation sim{open_loop(*plan, {.max_in_flight = 1}), {}, {}};
  sim.run();
  const open_loop& l = sim.loop;
  CHECK(l.counts().completed == 5'000);
  CHECK(l.counts().cap_reached > 0);
  CHECK(l.counts().late_by_cap > 0);
  CHECK(l.counts().late_by_loop == 0);
  CHECK(l.counts().late == l.counts().late_by_cap);
  // The reference: a single server fed in order (Lindley's recursion).
  std::vector<std::int64_t> expected;
  nanos free_at{0};
  for (std::int64_t n = 0; n < 5'000; ++n) {
    const nanos intended = std::chrono::milliseconds(2 * n);
    const nanos sent = std::max(intended, free_at);
    free_at = sim.server.finish(sent);
    expected.push_back((free_at - intended).count() / 1000);
  }
  std::sort(expected.begin(), expected.end());
  for (double p : {50.0, 90.0, 99.0}) {
    const auto want = expected[rank(p, expected.size()) - 1];
    INFO("p" << p << ": measured " << l.latency().value_at_percentile(p) << " us, expected " << want << " us");
    CHECK(std::abs(l.latency().value_at_percentile(p) - want) <= want / 1000 + 1);
  }
  CHECK(l.latency().value_at_percentile(90) > 10 * l.service().value_at_percentile(90));
  CHECK(l.service().value_at_percentile(90) <= 1'001);  // the naive view: nothing happened
}

TEST_CASE("open loop: warm-up excluded, a late loop counted, the cap must be positive", "[load]") {
  auto plan = schedule::constant(100, 1s);
  REQUIRE(plan);
  open_loop l(*plan, {.max_in_flight = 1000, .warmup = 500ms});
  std::vector<due_request> out;
  l.due(300ms, out);  // the loop woke 300 ms late: 31 requests due at once
  CHECK(out.size() == 31);
  CHECK(l.counts().late == 30);  // all but the one meant for 300 ms itself
  CHECK(l.counts().late_by_loop == 30);
  for (const due_request& r : out) l.completed(r, 300ms, 301ms, true);
  CHECK(l.latency().count() == 0);  // all meant before the warm-up's end
  l.due(2s, out);
  for (const due_request& r : out) l.completed(r, 2s, 2s + 1ms, r.n % 2 == 0);
  CHECK(l.finished());
  CHECK(l.latency().count() == 50);
  CHECK(l.counts().errors == 35);  // the odd ones of 31..99
  CHECK(l.take_interval_latency().count() == 50);
  CHECK(l.take_interval_latency().count() == 0);
  CHECK_THROWS_AS(open_loop(*plan, {.max_in_flight = 0}), ddb::error);
}

TEST_CASE("histogram log: V2 encoding round trips exactly; logs read back; damage is an error", "[load]") {
  histogram h(3'600'000'000, 3);
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> dist(8.0, 2.0);
  for (int i = 0; i < 50'000; ++i) h.record(static_cast<std::int64_t>(dist(rng)));
  h.record(0);
  const std::string text = encode_histogram(h);
  CHECK(text.rfind("HISTF", 0) == 0);  // the compressed V2 cookie, as HdrHistogram's logs begin
  auto back = decode_histogram(text);
  REQUIRE(back);
  CHECK(back->counts() == h.counts());
  CHECK(back->count() == h.count());
  CHECK(back->max() == h.max());
  CHECK(back->value_at_percentile(99.99) == h.value_at_percentile(99.99));

  const histogram empty(3'600'000'000, 3);
  auto none = decode_histogram(encode_histogram(empty));
  REQUIRE(none);
  CHECK(none->count() == 0);
  histogram two_digits(60'000'000, 2);
  two_digits.record(5);
  two_digits.record(59'000'000);
  auto small = decode_histogram(encode_histogram(two_digits));
  REQUIRE(small);
  CHECK(small->digits() == 2);
  CHECK(small->highest() == 60'000'000);
  CHECK(small->counts() == two_digits.counts());

  // A log of two intervals (as two workers might write), merged exactly.
  histogram a(3'600'000'000, 3), b(3'600'000'000, 3);
  for (int i = 1; i <= 1000; ++i) (i % 2 ? a : b).record(i * 37);
  const std::string log = log_header(1796590000.0) + log_line(0, 1, a) + log_line(1, 1.5, b);
  CHECK(log.rfind("#[Histogram log format version 1.3]\n#[StartTime: 1796590000.000", 0) == 0);
  auto read = read_log(log);
  REQUIRE(read);
  REQUIRE(read->size() == 2);
  CHECK((*read)[1].start_s == 1.0);
  CHECK((*read)[1].length_s == 1.5);
  histogram merged = (*read)[0].h;
  merged.merge((*read)[1].h);
  histogram all = a;
  all.merge(b);
  CHECK(merged.counts() == all.counts());

  for (const char* bad : {"not base64!", "AAAA", "HISTFAAAAAA="}) {
    INFO(bad);
    auto d = decode_histogram(bad);
    REQUIRE_FALSE(d);
    CHECK_THAT(d.error().message, Catch::Contains("not an HdrHistogram V2"));
  }
  std::string damaged = text;
  damaged[20] = damaged[20] == 'A' ? 'B' : 'A';
  CHECK_FALSE(decode_histogram(damaged));
  auto bad_line = read_log(log_header(0) + "0.000,1.000,0.5\n");
  REQUIRE_FALSE(bad_line);
  CHECK_THAT(bad_line.error().message, Catch::Contains("line 4: expected 4 fields"));
}

TEST_CASE("open loop: workers' shares interleave into the whole schedule exactly", "[load]") {
  auto plan = schedule::constant(1000, 1s);
  REQUIRE(plan);
  std::vector<std::int64_t> all;
  std::int64_t planned = 0;
  for (std::int64_t w = 0; w < 3; ++w) {
    open_loop l(*plan, {.share_of = 3, .share_index = w});
    planned += l.planned();
    std::vector<due_request> out;
    l.due(2s, out);
    for (const due_request& r : out) {
      CHECK(r.intended == *plan->at(r.n));
      all.push_back(r.n);
      l.completed(r, 2s, 2s, true);
    }
    CHECK(l.finished());
    CHECK(static_cast<std::int64_t>(out.size()) == l.planned());
  }
  CHECK(planned == 1000);
  std::sort(all.begin(), all.end());
  for (std::int64_t n = 0; n < 1000; ++n) REQUIRE(all[static_cast<std::size_t>(n)] == n);
  CHECK_THROWS_AS(open_loop(*plan, {.share_of = 2, .share_index = 2}), ddb::error);
}

TEST_CASE("hot keys: per-key busiest seconds against the partition limits; memory fixed by the keys", "[load]") {
  hot_keys h(100);
  // Key 7: 1,200 writes of 1 unit in second 0 (over the 1,000 WCU limit), 10 in second 1.
  for (int i = 0; i < 1200; ++i) h.record(7, 0, 1, std::chrono::microseconds(i * 800));
  for (int i = 0; i < 10; ++i) h.record(7, 0, 1, 1s + std::chrono::milliseconds(i));
  // Key 3: 2,000 half-unit reads in each of two seconds (1,000 RCU/s: under 3,000).
  for (int s = 0; s < 2; ++s)
    for (int i = 0; i < 2000; ++i) h.record(3, 0.5, 0, std::chrono::seconds(s) + std::chrono::microseconds(i * 400));
  h.record(42, 0.5, 0, 3s);
  h.record(500, 1, 0, 0s);  // beyond the tracked keys
  const auto rows = h.top(2);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].key == 7);
  CHECK(rows[0].requests == 1210);
  CHECK(rows[0].peak_write_per_s == 1200);
  CHECK(rows[0].peak_requests_per_s == 1200);
  CHECK(rows[0].over_limit());
  CHECK(rows[1].key == 3);
  CHECK(rows[1].peak_read_per_s == 1000);
  CHECK_FALSE(rows[1].over_limit());
  CHECK(h.untracked() == 1);
  CHECK(h.top(10).size() == 3);
  const std::string text = hot_keys_text(rows, "pk");
  CHECK_THAT(text, Catch::Contains("pk 7"));
  CHECK_THAT(text, Catch::Contains("would be throttled on DynamoDB"));
  CHECK_THAT(hot_keys_json(rows), Catch::StartsWith(R"([{"key":7,"requests":1210,)"));
}

TEST_CASE("mix: weights parsed, checked and drawn in proportion", "[load]") {
  const std::vector<std::string> known{"get-item", "put-item", "delete-item"};
  auto m = parse_mix("get-item=80,put-item=15,delete-item=5", known);
  REQUIRE(m);
  REQUIRE(m->size() == 3);
  mix_picker pick(*m, 3);
  std::array<int, 3> counts{};
  for (int i = 0; i < 100'000; ++i) ++counts.at(pick.next());
  CHECK(counts[0] == Approx(80'000).margin(1'000));
  CHECK(counts[1] == Approx(15'000).margin(1'000));
  CHECK(counts[2] == Approx(5'000).margin(500));
  auto zero_weight = parse_mix("get-item=1,put-item=0", known);
  REQUIRE(zero_weight);
  mix_picker only_gets(*zero_weight, 1);
  for (int i = 0; i < 1000; ++i) REQUIRE(only_gets.next() == 0);

  CHECK_THAT(parse_mix("scan=1", known).error().message, Catch::Contains("unknown operation 'scan'"));
  CHECK_THAT(parse_mix("get-item=0,put-item=0", known).error().message, Catch::Contains("sum to zero"));
  CHECK_THAT(parse_mix("get-item=-1", known).error().message, Catch::Contains("a number >= 0"));
  CHECK_THAT(parse_mix("get-item", known).error().message, Catch::Contains("OPERATION=WEIGHT"));
  CHECK_THAT(parse_mix("get-item=1,get-item=2", known).error().message, Catch::Contains("twice"));
  CHECK_FALSE(parse_mix("", known));
}

TEST_CASE("html report: six plots from the intervals, the text report, names escaped", "[load]") {
  run_result r;
  r.operation = "get-item";
  r.table = "t<script>";
  r.plan = "10/s for 2s";
  r.planned = 20;
  r.counts.completed = 20;
  r.latency = histogram(3'600'000'000, 3);
  r.service = histogram(3'600'000'000, 3);
  r.send_lag = histogram(3'600'000'000, 3);
  for (int i = 1; i <= 20; ++i) r.latency.record(i * 100), r.service.record(i * 90);
  const std::vector<interval_summary> intervals{{1, 10, 10, 500, 1900, 2000, 2000, 0, 0, 5, 1, 2.5},
                                                {2, 10, 10, 400, 900, 1000, 1000, 1, 0, 5, 1, 2.5}};
  const std::string page = html_report(r, intervals);
  for (const char* id : {"latency", "spectrum", "rate", "trouble", "units", "cost"}) CHECK_THAT(page, Catch::Contains(std::string("<svg id=\"") + id));
  CHECK_THAT(page, Catch::Contains("t&lt;script&gt;"));
  CHECK_THAT(page, !Catch::Contains("<script>"));
  CHECK_THAT(page, Catch::Contains("20 of 20 requests completed, p99 2000 us"));
  CHECK_THAT(page, Catch::Contains("<pre id=\"report\">ddb load: get-item"));
}

TEST_CASE("closed loop: C in flight, each completion the next; bounded by count or time; shares exact", "[load]") {
  open_loop l(closed_options{.concurrency = 4, .requests = 10}, {});
  CHECK(l.closed());
  CHECK(l.planned() == 10);
  std::vector<due_request> out;
  l.due(0s, out);
  REQUIRE(out.size() == 4);
  CHECK_FALSE(l.next_wake());  // nothing planned: completions drive it
  CHECK(l.cap_holding());
  std::deque<due_request> flying(out.begin(), out.end());
  std::vector<std::int64_t> seen;
  nanos now = 0s;
  while (!flying.empty()) {
    const due_request r = flying.front();
    flying.pop_front();
    seen.push_back(r.n);
    now += 1ms;
    l.completed(r, r.intended, now, true);
    l.due(now, out);
    CHECK(out.size() <= 1);
    for (const due_request& n : out) {
      CHECK(n.intended == now);  // sent at once: latency is service time
      flying.push_back(n);
    }
    CHECK(l.in_flight() <= 4);
  }
  CHECK(l.finished());
  std::sort(seen.begin(), seen.end());
  for (std::int64_t n = 0; n < 10; ++n) CHECK(seen[static_cast<std::size_t>(n)] == n);
  CHECK(l.latency().count() == 10);
  CHECK(l.latency().max() == l.service().max());
  CHECK(l.send_lag().max() == 0);

  // By time: sends until the duration has passed, then drains.
  open_loop t(closed_options{.concurrency = 2, .requests = -1, .duration = 5ms}, {});
  t.due(0s, out);
  REQUIRE(out.size() == 2);
  t.completed(out[0], 0s, 6ms, true);
  t.due(6ms, out);
  CHECK(out.empty());
  CHECK_FALSE(t.finished());  // one still in flight
  t.completed({1, 0s, false}, 0s, 7ms, false);
  t.due(7ms, out);
  CHECK(t.finished());
  CHECK(t.planned() == 2);
  CHECK(t.counts().errors == 1);

  // Two threads' shares of 7 requests: 4 and 3, interleaved.
  open_loop a(closed_options{.concurrency = 8, .requests = 7}, {.share_of = 2, .share_index = 0});
  open_loop b(closed_options{.concurrency = 8, .requests = 7}, {.share_of = 2, .share_index = 1});
  CHECK(a.planned() + b.planned() == 7);
  a.due(0s, out);
  CHECK(out.size() == 4);
  CHECK(out.back().n == 6);
  b.due(0s, out);
  CHECK(out.size() == 3);
  CHECK(out.back().n == 5);

  CHECK_THROWS_AS(open_loop(closed_options{.concurrency = 0, .requests = 1}, {}), ddb::error);
  CHECK_THROWS_WITH(open_loop(closed_options{.concurrency = 1, .requests = -1}, {}), Catch::Contains("a request count or a duration"));
}

TEST_CASE("item sizes: fixed, uniform, normal, exponential; clamped to the item limit; bad specs named", "[load]") {
  auto fixed = parse_size_spec("512");
  REQUIRE(fixed);
  size_generator f(*fixed, 1);
  for (int i = 0; i < 10; ++i) CHECK(f.next() == 512);
  auto uni = parse_size_spec("100-200");
  REQUIRE(uni);
  size_generator u(*uni, 2);
  double sum = 0;
  std::int64_t lo = 1'000'000, hi = 0;
  for (int i = 0; i < 20'000; ++i) {
    const std::int64_t v = u.next();
    lo = std::min(lo, v), hi = std::max(hi, v), sum += static_cast<double>(v);
  }
  CHECK(lo == 100);
  CHECK(hi == 200);
  CHECK(sum / 20'000 == Approx(150).margin(2));
  auto normal = parse_size_spec("normal:1000,200");
  REQUIRE(normal);
  CHECK(normal->mean() == 1000);
  size_generator n(*normal, 3);
  sum = 0;
  for (int i = 0; i < 20'000; ++i) sum += static_cast<double>(n.next());
  CHECK(sum / 20'000 == Approx(1000).margin(10));
  auto expo = parse_size_spec("exp:800");
  REQUIRE(expo);
  size_generator e(*expo, 4);
  sum = 0;
  std::int64_t over = 0;
  for (int i = 0; i < 20'000; ++i) {
    const std::int64_t v = e.next();
    sum += static_cast<double>(v);
    over += v > 2400;  // P(X > 3 mean) = e^-3, about 5%
  }
  CHECK(sum / 20'000 == Approx(800).margin(25));
  CHECK(over == Approx(20'000 * std::exp(-3.0)).margin(200));
  auto wide = parse_size_spec("normal:399000,100000");  // draws past the limit are clamped
  REQUIRE(wide);
  size_generator w(*wide, 5);
  for (int i = 0; i < 1000; ++i) REQUIRE(w.next() <= max_item_pad);

  for (const char* bad : {"", "x", "-5", "500000", "10-5", "normal:5", "normal:5,-1", "exp:0", "exp:x", "1-2-3"})
    CHECK_THAT(parse_size_spec(bad).error().message, Catch::Contains("--item-bytes"));
}

TEST_CASE("interval board: threads' intervals merge exactly, in order, once every thread has handed in", "[load]") {
  interval_board board(2);
  auto part = [](std::int64_t k, std::initializer_list<std::int64_t> values, std::int64_t errors = 0) {
    interval iv;
    iv.index = k;
    iv.latency = histogram(3'600'000'000, 3);
    for (std::int64_t v : values) iv.latency.record(v);
    iv.completed = static_cast<std::int64_t>(values.size());
    iv.errors = errors;
    iv.read_units = 1.5;
    iv.begin_s = static_cast<double>(k);
    iv.end_s = static_cast<double>(k + 1);
    return iv;
  };
  board.add(0, part(0, {100, 200}));
  CHECK(board.take_ready().empty());  // thread 1 has not handed in interval 0
  board.add(0, part(1, {300}));
  board.add(1, part(0, {150}, 1));
  auto ready = board.take_ready();
  REQUIRE(ready.size() == 1);
  CHECK(ready[0].index == 0);
  CHECK(ready[0].completed == 3);
  CHECK(ready[0].errors == 1);
  CHECK(ready[0].read_units == 3.0);
  histogram all(3'600'000'000, 3);
  for (std::int64_t v : {100, 200, 150}) all.record(v);
  CHECK(ready[0].latency.counts() == all.counts());  // exactly the histogram of every sample
  CHECK(board.take_ready().empty());                   // each interval once
  // Thread 1 ends inside interval 1 (its last, partial one); thread 0 goes on to 2.
  interval last = part(1, {400});
  last.end_s = 1.4;
  board.add(1, last);
  board.finish(1);
  board.add(0, part(2, {500}));
  board.finish(0);
  ready = board.take_ready();
  REQUIRE(ready.size() == 2);
  CHECK(ready[0].index == 1);
  CHECK(ready[0].completed == 2);
  CHECK(ready[0].end_s == 2.0);
  CHECK(ready[1].index == 2);
  CHECK(board.all_finished());
  CHECK_THROWS_WITH(board.add(0, part(3, {1})), Catch::Contains("finished party 0"));
  interval_board other(2);
  CHECK_THROWS_WITH(other.add(0, part(1, {1})), Catch::Contains("expected 0"));
  CHECK_THROWS_AS(other.add(2, part(0, {1})), ddb::error);
  CHECK_THROWS_AS(interval_board(0), ddb::error);
}

TEST_CASE("keys: a batch's keys are distinct even from a skewed generator", "[load]") {
  auto spec = parse_key_spec("zipf:0.99", 150, 0.5);  // half of the draws go to key 0
  REQUIRE(spec);
  key_generator g(*spec, 9);
  std::vector<std::int64_t> keys;
  for (int round = 0; round < 200; ++round) {
    g.next_distinct(100, keys);
    REQUIRE(keys.size() == 100);
    std::vector<std::int64_t> sorted = keys;
    std::sort(sorted.begin(), sorted.end());
    REQUIRE(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
    REQUIRE(sorted.front() >= 0);
    REQUIRE(sorted.back() < 150);
  }
  g.next_distinct(150, keys);  // every key
  CHECK(keys.size() == 150);
  CHECK_THROWS_WITH(g.next_distinct(151, keys), Catch::Contains("raise --keys"));
}

TEST_CASE("hot keys: workers' rows merged by key, busiest seconds added (an upper bound)", "[load]") {
  using row = hot_keys::row;
  const std::vector<std::vector<row>> workers{
      {{.key = 7, .requests = 600, .read_units = 0, .write_units = 600, .peak_requests_per_s = 600, .peak_read_per_s = 0,
        .peak_write_per_s = 600},
       {.key = 3, .requests = 10, .read_units = 5, .write_units = 0, .peak_requests_per_s = 10, .peak_read_per_s = 5,
        .peak_write_per_s = 0}},
      {{.key = 7, .requests = 550, .read_units = 0, .write_units = 550, .peak_requests_per_s = 550, .peak_read_per_s = 0,
        .peak_write_per_s = 550},
       {.key = 9, .requests = 40, .read_units = 20, .write_units = 0, .peak_requests_per_s = 40, .peak_read_per_s = 20,
        .peak_write_per_s = 0}}};
  const auto merged = merge_hot_rows(workers, 2);
  REQUIRE(merged.size() == 2);
  CHECK(merged[0].key == 7);
  CHECK(merged[0].requests == 1150);
  CHECK(merged[0].peak_write_per_s == 1150);
  CHECK(merged[0].over_limit());  // neither worker alone is over 1,000 write units a second
  CHECK(merged[1].key == 9);
  CHECK(merge_hot_rows({}, 10).empty());
}

TEST_CASE("report: closed loops say so; unprocessed batch items and threads reported", "[load]") {
  run_result r;
  r.operation = "batch-write-item";
  r.table = "t";
  r.plan = "1000 requests";
  r.planned = 1000;
  r.counts.sent = r.counts.completed = 1000;
  r.seconds = 2;
  r.closed_concurrency = 8;
  r.threads = 2;
  r.unprocessed = 12;
  const std::string text = text_report(r);
  CHECK_THAT(text, Catch::Contains("closed loop, 8 in flight, 2 threads: latency is service time"));
  CHECK_THAT(text, Catch::Contains("12 batch items unprocessed"));
  CHECK_THAT(text, Catch::Contains("rate: 500.0/s achieved, over 2.00 s"));
  CHECK_FALSE(r.shortfall());
  const std::string json = json_report(r);
  CHECK_THAT(json, Catch::Contains(R"("unprocessed":12,"closed_concurrency":8,"threads":2,)"));
  histogram h(3'600'000'000, 3);
  h.record(800);
  const std::string line = status_line(3.0, 990, 1000, h, r.counts, 4, 12.5, 0.02);
  CHECK_THAT(line, Catch::Contains("990.0/s of 1000.0/s"));
  CHECK_THAT(line, Catch::Contains("throttled 4"));
  CHECK_THAT(line, Catch::Contains("12.5 units/s  $0.02/h"));
  CHECK_THAT(status_line(3.0, 990, 0, h, r.counts, 0, 0, 0), !Catch::Contains(" of "));
}
