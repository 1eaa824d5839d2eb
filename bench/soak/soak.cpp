// The bounded soak (issue 21): thousands of operations kept in flight for a
// long time against the loopback fault server (soak.hpp: resets, truncated
// bodies, 500/503, stalls, bad JSON, throttling storms) or against DynamoDB
// Local, sampling the process's RSS, open descriptors, connections and
// operations in flight, and checking every operation's outcome:
//   faults  each operation's key names the fault the server plays, so the
//           right outcome is known: the item with its key echoed back, or
//           exactly the error that fault must give (throttling also allowed
//           when the operation overlapped a storm);
//   local   each lane writes, reads back and updates its own item: every read
//           must see the lane's last write (nothing lost, nothing stale).
// It ends with a verdict: PASS only if every outcome was right, no operation
// outlived its deadline (with --deadline-slack), RSS and descriptors stayed
// flat after the warm-up, and every descriptor was returned after close().
//   soak --target faults|local [--seconds S | --ops N] [--in-flight K] [--sample S] ...
// (bench/soak/run runs both for 30 minutes; the suite runs short ones.)
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ddb/client.hpp"
#include "ddb/model.hpp"
#include "fault_peer.hpp"
#include "soak.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using sys = std::chrono::system_clock;
using error_code = boost::system::error_code;

struct options {
  std::string target = "faults";
  double seconds = 1800;
  std::uint64_t ops = 0;  // > 0: stop issuing after this many (instead of --seconds)
  std::size_t in_flight = 10000;
  double sample = 60;
  std::size_t pool = 256;
  std::size_t pipeline = 1;
  double deadline_slack = 0;  // > 0: an operation later than its deadline plus this fails the run
  soak::storms weather{60000ms, 3000ms};
  std::string table;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "soak: " << why << "\n"
            << "usage: soak --target faults|local [--seconds S | --ops N] [--in-flight K] [--sample S]\n"
               "            [--pool N] [--pipeline D] [--storm-period S] [--storm-length S] [--deadline-slack S]\n"
               "            [--table NAME]\n";
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage("missing value after " + a);
    const std::string v = argv[++i];
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    const bool number = end && *end == '\0' && d >= 0;
    if (a == "--target") {
      if (v != "faults" && v != "local") usage("--target is faults or local, not " + v);
      o.target = v;
    } else if (a == "--table") {
      o.table = v;
    } else if (!number) {
      usage(a + " takes a number, not " + v);
    } else if (a == "--seconds") o.seconds = d;
    else if (a == "--ops") o.ops = static_cast<std::uint64_t>(d);
    else if (a == "--in-flight") o.in_flight = static_cast<std::size_t>(d);
    else if (a == "--sample") o.sample = d;
    else if (a == "--pool") o.pool = static_cast<std::size_t>(d);
    else if (a == "--pipeline") o.pipeline = static_cast<std::size_t>(d);
    else if (a == "--deadline-slack") o.deadline_slack = d;
    else if (a == "--storm-period") o.weather.period = std::chrono::milliseconds(static_cast<long>(d * 1000));
    else if (a == "--storm-length") o.weather.length = std::chrono::milliseconds(static_cast<long>(d * 1000));
    else usage("unknown option " + a);
  }
  if (o.in_flight == 0 || o.pool == 0 || o.sample <= 0) usage("--in-flight, --pool and --sample must be above 0");
  if (o.weather.period.count() <= 0) usage("--storm-period must be above 0");
  return o;
}

// The process's resident set (MB) and open descriptors, from /proc.
double rss_mb() {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  return 0;
}
int open_fds() {
  int n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd"); it != std::filesystem::directory_iterator(); ++it)
    ++n;
  return n - 1;  // the directory's own descriptor
}

// The slope (per minute) of a least-squares line through (minute, y).
double slope(const std::vector<std::pair<double, double>>& xy) {
  if (xy.size() < 2) return 0;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (auto [x, y] : xy) sx += x, sy += y, sxx += x * x, sxy += x * y;
  const double n = double(xy.size()), den = n * sxx - sx * sx;
  return den == 0 ? 0 : (n * sxy - sx * sy) / den;
}

struct lane {
  std::size_t index = 0;
  bool busy = false;
  soak::mode m = soak::mode::ok;
  std::string key;
  std::int64_t round = 0;  // local: the value this lane wrote last
  int step = 0;            // local: put, get, update
  steady::time_point started;
  sys::time_point started_wall;
};

struct sample {
  double minute, rss, fds, conns, in_flight, done, rate, oldest_ms;
};

class soak_run {
 public:
  soak_run(options o, ddb::client_config cfg)
      : o_(std::move(o)),
        deadline_(o_.deadline_slack > 0 ? cfg.operation_timeout : std::chrono::milliseconds(0)),
        db_(io_.get_executor(), std::move(cfg)),
        timer_(io_),
        lanes_(o_.in_flight) {
    for (std::size_t i = 0; i < lanes_.size(); ++i) lanes_[i].index = i;
  }

  int run() {
    base_fds_ = open_fds();
    start_ = steady::now();
    end_ = start_ + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o_.seconds));
    std::printf("%8s %9s %9s %11s %7s %8s %6s %6s %10s %6s\n", "minute", "ops/s", "in_flight", "done", "wrong",
                "rss_MB", "fds", "conns", "oldest_ms", "quota");
    for (lane& l : lanes_) next(l);
    arm_sample();
    io_.run();
    return verdict();
  }

 private:
  bool issuing() const { return o_.ops ? issued_ < o_.ops : steady::now() < end_; }

  void next(lane& l) {
    if (!issuing()) {
      if (l.busy) --in_flight_;
      l.busy = false;
      if (in_flight_ == 0 && !closing_) finish();
      return;
    }
    if (!l.busy) {
      l.busy = true;
      ++in_flight_;
    }
    ++issued_;
    l.started = steady::now();
    l.started_wall = sys::now();
    if (o_.target == "faults")
      get_faulty(l);
    else
      local_step(l);
  }

  void get_faulty(lane& l) {
    const std::uint64_t n = issued_;
    l.m = soak::mode_of(n);
    l.key.assign(soak::name(l.m)).append("/").append(std::to_string(l.index)).append("/").append(std::to_string(n));
    ddb::get_item_request req;
    req.table_name = "soak";
    req.key = ddb::item{{"pk", l.key}};
    db_.get_item(req, [this, &l](error_code ec, ddb::get_item_response r) {
      const bool right = right_outcome(l, ec, r);
      done(l, ec, right, right ? std::string() : "mode " + std::string(soak::name(l.m)) + " key " + l.key);
    });
  }

  bool right_outcome(const lane& l, const error_code& ec, const ddb::get_item_response& r) const {
    using ddb::errc;
    using ddb::service_errc;
    if (!ec) {
      const ddb::value* pk = r.item.find("pk");
      const std::string* echoed = pk ? pk->get_if<std::string>() : nullptr;
      return (l.m == soak::mode::ok || l.m == soak::mode::flaky) && echoed && *echoed == l.key;
    }
    if (ddb::is_throttling(ec) && o_.weather.overlaps(l.started_wall, sys::now(), 1000ms)) return true;
    switch (l.m) {
      case soak::mode::ok: return false;
      case soak::mode::flaky:
        return ec == errc::connection_closed || ec == service_errc::internal_server_error ||
               ec == service_errc::service_unavailable;
      case soak::mode::reset: return ec == errc::connection_closed;
      case soak::mode::trunc: return ec == errc::connection_closed;
      case soak::mode::e500: return ec == service_errc::internal_server_error;
      case soak::mode::e503: return ec == service_errc::service_unavailable;
      case soak::mode::stall: return ec == errc::attempt_timeout;
      case soak::mode::badjson: return ec == errc::invalid_json || ec == errc::unexpected_json;
    }
    return false;
  }

  // local: put v=round, read it back (consistent), add one, see round + 1.
  void local_step(lane& l) {
    l.key = "lane#" + std::to_string(l.index);
    if (l.step == 0) {
      ddb::put_item_request req;
      req.table_name = o_.table;
      req.item = ddb::item{{"pk", l.key}, {"v", l.round}};
      db_.put_item(req, [this, &l](error_code ec, ddb::put_item_response) {
        l.step = 1;
        done(l, ec, !ec, "put " + l.key);
      });
    } else if (l.step == 1) {
      ddb::get_item_request req;
      req.table_name = o_.table;
      req.key = ddb::item{{"pk", l.key}};
      req.consistent_read = true;
      db_.get_item(req, [this, &l](error_code ec, ddb::get_item_response r) {
        const auto v = ec ? std::nullopt : number_at(r.item, "v");
        l.step = 2;
        done(l, ec, v == l.round, "get " + l.key + " expected v=" + std::to_string(l.round));
      });
    } else {
      ddb::update_item_request req;
      req.table_name = o_.table;
      req.key = ddb::item{{"pk", l.key}};
      req.update_expression = "SET v = v + :one";
      req.expression_attribute_values = ddb::item{{":one", 1}};
      req.return_values = ddb::return_value::all_new;
      db_.update_item(req, [this, &l](error_code ec, ddb::update_item_response r) {
        const auto v = ec ? std::nullopt : number_at(r.attributes, "v");
        const bool right = v == l.round + 1;
        l.step = 0;
        l.round += 2;  // the next put writes a value no earlier step wrote
        done(l, ec, right, "update " + l.key);
      });
    }
  }

  static std::optional<std::int64_t> number_at(const ddb::item& it, const char* name) {
    const ddb::value* at = it.find(name);
    const ddb::number* num = at ? at->get_if<ddb::number>() : nullptr;
    if (!num) return std::nullopt;
    auto n = num->to<std::int64_t>();
    return n ? std::optional<std::int64_t>(n.value()) : std::nullopt;
  }

  void done(lane& l, const error_code& ec, bool right, const std::string& what) {
    const auto took = steady::now() - l.started;
    ++completed_;
    ++outcomes_[std::string(o_.target == "faults" ? soak::name(l.m) : "local")][ec ? ec.message() : "ok"];
    if (!right) {
      if (wrong_ < 20) examples_.push_back(what + ": " + (ec ? ec.message() : "a wrong item"));
      ++wrong_;
    }
    if (took > longest_) longest_ = took;
    if (deadline_.count() > 0 &&
        took > deadline_ + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o_.deadline_slack))) {
      if (late_ < 5) examples_.push_back("past its deadline: " + l.key);
      ++late_;
    }
    next(l);
  }

  void arm_sample() {
    timer_.expires_after(std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o_.sample)));
    timer_.async_wait([this](error_code ec) {
      if (ec || closing_) return;
      take_sample();
      arm_sample();
    });
  }

  void take_sample() {
    const auto now = steady::now();
    steady::duration oldest{0};
    for (const lane& l : lanes_)
      if (l.busy && now - l.started > oldest) oldest = now - l.started;
    const double minute = std::chrono::duration<double>(now - start_).count() / 60;
    const double rate = double(completed_ - last_completed_) / o_.sample;
    last_completed_ = completed_;
    sample s{minute,        rss_mb(),          double(open_fds()), double(db_.open_connections()), double(in_flight_),
             double(completed_), rate, std::chrono::duration<double, std::milli>(oldest).count()};
    samples_.push_back(s);
    max_fds_ = std::max(max_fds_, int(s.fds));
    std::printf("%8.2f %9.0f %9.0f %11.0f %7llu %8.1f %6.0f %6.0f %10.0f %6d\n", s.minute, s.rate, s.in_flight, s.done,
                static_cast<unsigned long long>(wrong_), s.rss, s.fds, s.conns, s.oldest_ms, db_.retry_quota_available());
    std::fflush(stdout);
  }

  void finish() {
    closing_ = true;
    timer_.cancel();
    take_sample();
    db_.close();
  }

  int verdict() {
    const int fds_after = open_fds();
    std::printf("\noutcomes (%llu operations, %.1f s):\n", static_cast<unsigned long long>(completed_),
                std::chrono::duration<double>(steady::now() - start_).count());
    for (const auto& [m, by] : outcomes_)
      for (const auto& [what, n] : by) std::printf("  %-8s %-50s %llu\n", m.c_str(), what.c_str(), static_cast<unsigned long long>(n));
    bool pass = wrong_ == 0 && late_ == 0;
    std::printf("wrong outcomes: %llu", static_cast<unsigned long long>(wrong_));
    for (const auto& e : examples_) std::printf("\n  %s", e.c_str());
    std::printf("\nlongest operation: %.0f ms", std::chrono::duration<double, std::milli>(longest_).count());
    if (deadline_.count() > 0)
      std::printf(" (deadline %lld ms + slack %.1f s; %llu later)", static_cast<long long>(deadline_.count()),
                  o_.deadline_slack, static_cast<unsigned long long>(late_));
    std::printf("\ndescriptors: %d at the start, at most %d, %d after close()\n", base_fds_, max_fds_, fds_after);
    if (fds_after != base_fds_) pass = false;
    if (max_fds_ > base_fds_ + int(o_.pool) + 16) pass = false;
    // Flat: after the first quarter of the samples (the warm-up), the fitted
    // slope of RSS over the run's length stays within 1 MB + 2% of the mean,
    // and that of the descriptors within 8 (the pool reconnects as faults
    // close connections). Needs four samples after the warm-up.
    // The last sample, taken once everything has completed, is left out.
    if (samples_.size() > 1) samples_.pop_back();
    const std::size_t from = samples_.size() / 4;
    if (samples_.size() - from >= 4) {
      std::vector<std::pair<double, double>> rss, fds;
      double mean = 0;
      for (std::size_t i = from; i < samples_.size(); ++i) {
        rss.emplace_back(samples_[i].minute, samples_[i].rss);
        fds.emplace_back(samples_[i].minute, samples_[i].fds);
        mean += samples_[i].rss;
      }
      mean /= double(rss.size());
      const double span = samples_.back().minute - samples_[from].minute;
      const double rss_growth = slope(rss) * span, fds_growth = slope(fds) * span;
      const bool flat = rss_growth <= 1.0 + 0.02 * mean && fds_growth <= 8;
      std::printf("after the warm-up (%zu samples over %.1f min): RSS %+.3f MB/min (%+.2f MB over the span, mean %.1f MB), "
                  "descriptors %+.3f/min: %s\n",
                  rss.size(), span, slope(rss), rss_growth, mean, slope(fds), flat ? "flat" : "GROWING");
      pass = pass && flat;
    } else {
      std::printf("too few samples for a slope (%zu after the warm-up; need 4)\n", samples_.size() - from);
    }
    std::printf("soak: %s\n", pass ? "PASS" : "FAIL");
    return pass ? 0 : 1;
  }

  options o_;
  std::chrono::milliseconds deadline_{0};  // the operation timeout when checked, else 0
  asio::io_context io_{1};
  ddb::client db_;
  asio::steady_timer timer_;
  std::vector<lane> lanes_;
  steady::time_point start_, end_;
  std::uint64_t issued_ = 0, completed_ = 0, last_completed_ = 0, wrong_ = 0, late_ = 0;
  std::size_t in_flight_ = 0;
  bool closing_ = false;
  int base_fds_ = 0, max_fds_ = 0;
  steady::duration longest_{0};
  std::map<std::string, std::map<std::string, std::uint64_t>> outcomes_;
  std::vector<std::string> examples_;
  std::vector<sample> samples_;
};

// A listening socket on 127.0.0.1 (any port) and a child process serving
// faults on it; the child dies with the parent.
pid_t start_fault_peer(const soak::storms& weather, unsigned short& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 4096) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    std::perror("soak: listening socket");
    std::exit(1);
  }
  port = ntohs(a.sin_port);
  std::cout.flush();
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("soak: fork");
    std::exit(1);
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    soak::run_fault_peer(fd, weather);
    std::_Exit(0);
  }
  ::close(fd);
  return pid;
}

// CreateTable or DeleteTable on a client of its own, run to completion.
template <class Request>
error_code table_call(const Request& req) {
  asio::io_context io;
  ddb::client db(io.get_executor(), ddb::client_config{});
  error_code out;
  if constexpr (std::is_same_v<Request, ddb::create_table_request>)
    db.create_table(req, [&](error_code ec, ddb::create_table_response) { out = ec; db.close(); });
  else
    db.delete_table(req, [&](error_code ec, ddb::delete_table_response) { out = ec; db.close(); });
  io.run();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  options o = parse(argc, argv);
  ddb::client_config cfg;
  cfg.pool_size = o.pool;
  cfg.pipeline_depth = o.pipeline;
  cfg.pool_wait_timeout = 60s;
  pid_t peer = 0;
  if (o.target == "faults") {
    unsigned short port = 0;
    peer = start_fault_peer(o.weather, port);
    cfg.endpoint = "http://127.0.0.1:" + std::to_string(port);
    cfg.region = "us-east-1";
    cfg.credentials = ddb::credentials{"AKIDSOAK", ddb::secret_string("soak"), {}};
    cfg.attempt_timeout = 2s;  // from submit: the wait for a connection counts
    cfg.operation_timeout = 30s;
  } else {
    cfg.attempt_timeout = 30s;
    cfg.operation_timeout = 60s;
    if (o.table.empty()) o.table = "ddb_soak_" + std::to_string(::getpid());
  }
  std::printf("soak: target %s, %zu in flight, pool %zu, pipeline %zu, %s, sample every %.0f s", o.target.c_str(),
              o.in_flight, o.pool, o.pipeline,
              o.ops ? (std::to_string(o.ops) + " operations").c_str() : (std::to_string(long(o.seconds)) + " s").c_str(),
              o.sample);
  if (o.target == "faults" && o.weather.length.count() > 0)
    std::printf(", storms %.1f s every %.0f s", double(o.weather.length.count()) / 1000, double(o.weather.period.count()) / 1000);
  std::printf("\n");
  int rc = 1;
  try {
    if (o.target == "local") {  // on a client of its own, so the soak's starts with nothing open
      ddb::create_table_request create;
      create.table_name = o.table;
      create.attribute_definitions = {{"pk", ddb::scalar_attribute_type::s}};
      create.key_schema = {{"pk", ddb::key_type::hash}};
      create.billing_mode = ddb::billing_mode::pay_per_request;
      if (const error_code ec = table_call(create)) {
        std::cerr << "soak: creating the table " << o.table << ": " << ec.message() << "\n";
        return 1;
      }
    }
    rc = soak_run(o, cfg).run();
    if (o.target == "local") {
      ddb::delete_table_request del;
      del.table_name = o.table;
      table_call(del);
    }
  } catch (const std::exception& e) {
    std::cerr << "soak: " << e.what() << "\n";
    rc = 1;
  }
  if (peer > 0) {
    ::kill(peer, SIGKILL);
    ::waitpid(peer, nullptr, 0);
  }
  return rc;
}
