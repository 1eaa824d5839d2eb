// ddb-agent: `ddb once`, `ddb lock`, `ddb ledger call` (here), `ddb ledger`, `ddb limit`,
// `ddb flags`, `ddb memory`, `ddb checkpoint`, `ddb streams` (their own files; run by `ddb`, or directly).
//
//   ddb once --table-name T --key K [--expire-seconds S] [--in-progress-seconds S] [--wait S]
//            [--create-table] [--record-failures] -- COMMAND [ARGS...]
//   ddb lock --table-name T --name N [--lease-seconds S] [--wait S] [--grace-seconds S]
//            [--create-table] -- COMMAND [ARGS...]
//
// once: runs COMMAND at most once per key across every machine (ddb::agent::
// idempotency). The first run's stdout, stderr and exit code are recorded;
// a duplicate prints them and exits with that code. While another caller
// runs it: exit 75 naming the key (or wait with --wait). A command that
// fails (non-zero exit, killed) is not recorded unless --record-failures.
// lock: runs COMMAND holding the lease N (ddb::agent::leases), with its fence
// in DDB_FENCE. A lost lease sends the command SIGTERM (SIGKILL after
// --grace-seconds) and ddb lock exits 70 saying so; the lease is released
// when the command ends. Held by another: exit 75 (or wait with --wait).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <cstring>
#include <functional>
#include <iostream>

#include "cli/agent_commands.hpp"
#include "cli/common.hpp"
#include "ddb/agent/idempotency.hpp"
#include "ddb/agent/lease.hpp"
#include "ddb/agent/ledger.hpp"
#include "ddb/client.hpp"

extern char** environ;

namespace asio = boost::asio;
using boost::system::error_code;
using namespace std::chrono_literals;

namespace {

using namespace ddb::cli;

constexpr const char* usage_text = R"(usage: ddb once | lock | ledger call [options] -- COMMAND [ARGS...]
       ddb ledger start | get | finish | list [options]
       ddb limit take [options]
       ddb flags get | set | list [options]
       ddb memory append | last [options]
       ddb checkpoint save | get | list [options]
       ddb streams tail [options]

  ddb once --table-name T --key K [--expire-seconds 86400] [--in-progress-seconds 600] [--wait SECONDS]
           [--create-table] [--record-failures] -- COMMAND [ARGS...]
      runs COMMAND at most once per key, across every machine that uses the table; a duplicate prints
      the recorded stdout and stderr and exits with the recorded exit code; while another caller runs
      it, exits 75 (or waits up to --wait seconds for its result); a failing command is not recorded
      (it may run again) unless --record-failures
  ddb lock --table-name T --name N [--lease-seconds 30] [--wait SECONDS] [--grace-seconds 10]
           [--create-table] -- COMMAND [ARGS...]
      runs COMMAND holding the lease N, its fencing token in DDB_FENCE; if the lease is lost the command
      gets SIGTERM (SIGKILL after the grace period) and ddb lock exits 70; held by another: exits 75
      (or waits up to --wait seconds)
  ddb ledger call --table-name T --run R --step N [--args TEXT] [--expire-seconds 86400]
                  [--in-progress-seconds 600] [--wait SECONDS] [--create-table] [--record-failures] -- COMMAND [ARGS...]
      runs COMMAND as step N of the agent run R, at most once (as ddb once); a replay must give the same
      --args (else exit 255 naming the mismatch); busy: exit 75; the step is kept --expire-seconds (a run
      replayed later than that runs its steps again: give a run's whole span)
  ddb ledger start | get --table-name T --run R        the run as JSON (start creates it, running)
  ddb ledger finish --table-name T --run R --status succeeded|failed|cancelled
      moves the run to a final status, once (already final or changed meanwhile: exit 1)
  ddb ledger list --table-name T --run R [--from 0] [--limit 100]   its steps as JSON lines, in order
  ddb limit take --table-name T --key K --rate R/s --burst B [--tokens 1] [--sub-buckets 1] [--create-table]
      takes tokens from the token bucket K (rate R per second, or R/m, R/h, R/d; at most B tokens), shared by
      every process that uses the table: exits 0 when admitted, 1 when denied (printing when to retry)
  ddb flags list --table-name T --set S             prints {"generation":N,"flags":{...}}
  ddb flags get --table-name T --set S --name N     prints the value (exit 1: no such flag)
  ddb flags set --table-name T --set S --name N (--value V | --remove) [--create-table]
      publishes the set with that flag changed, atomically, never over a concurrent change
  ddb memory append --table-name T --user U --conversation C --role R (--content TEXT | --content-file F)
                    [--run-id ID] [--create-table]          prints the message's id
  ddb memory last --table-name T --user U --conversation C [--limit 20] [--consistent]
      prints the newest messages as JSON lines, newest first
  ddb checkpoint save --table-name T --thread TH (--parent N | --continue) (--payload TEXT | --payload-file F)
                      [--metadata M] [--create-table]
      saves the next checkpoint (prints its id); another writer's checkpoint on the same parent: exit 1;
      --continue saves on the latest, reading it again when another writer saved first
  ddb checkpoint get --table-name T --thread TH [--id N] [--payload-only]   the latest (or N) as JSON, or its payload
  ddb checkpoint list --table-name T --thread TH [--limit 100]         JSON lines, newest first
  ddb streams tail --table-name T [--from trim-horizon|latest] [--max-records N] [--idle-exit SECONDS]
                   [--consumer NAME --positions-table T2 [--create-table]] [--batch-size 1000]
                   [--streams-endpoint-url URL]
      prints the table's changes as JSON lines (event name, keys, images as DynamoDB JSON, sequence
      number), parents before children; stops after N records or SECONDS without one; with a positions
      table, the next tail of the same consumer resumes after what this one printed (at least once)
  --endpoint-url URL, --region REGION, --profile NAME: as for every ddb command
)";

constexpr int exit_busy = 75;  // EX_TEMPFAIL: try again later
constexpr int exit_lost = 70;  // EX_SOFTWARE: the lease was lost under the command

// What a command left: its exit code (128 + signal when killed) and output.
struct outcome {
  int code = 0;
  std::string out, err;
};

// "ddb-once/1\n<code>\n<stdout bytes>\n<stdout><stderr>": what is recorded.
std::string encode(const outcome& o) {
  return "ddb-once/1\n" + std::to_string(o.code) + "\n" + std::to_string(o.out.size()) + "\n" + o.out + o.err;
}
outcome decode(const std::string& s) {
  outcome o;
  std::size_t p = 0;
  auto line = [&]() {
    const std::size_t nl = s.find('\n', p);
    if (nl == std::string::npos) throw std::runtime_error("the recorded result is not ddb once's");
    std::string l = s.substr(p, nl - p);
    p = nl + 1;
    return l;
  };
  if (line() != "ddb-once/1") throw std::runtime_error("the recorded result is not ddb once's (another program's key?)");
  o.code = std::stoi(line());
  const std::size_t n = std::stoul(line());
  if (p + n > s.size()) throw std::runtime_error("the recorded result is truncated");
  o.out = s.substr(p, n);
  o.err = s.substr(p + n);
  return o;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

// Starts the command; with `capture`, its stdout and stderr go to pipes
// (out_fd, err_fd). extra_env entries ("NAME=value") are added.
pid_t start(const std::vector<std::string>& cmd, bool capture, int& out_fd, int& err_fd,
            const std::vector<std::string>& extra_env = {}) {
  if (cmd.empty()) throw usage_error("give the command to run after --");
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (capture) {
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> argv;
  for (const auto& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_store(extra_env);
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) {
    bool replaced = false;
    for (const auto& x : extra_env)
      if (std::strncmp(*e, x.c_str(), x.find('=') + 1) == 0) replaced = true;
    if (!replaced) envp.push_back(*e);
  }
  for (auto& x : env_store) envp.push_back(x.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (capture) {
    close(out_pipe[1]);
    close(err_pipe[1]);
  }
  if (rc != 0) {
    if (capture) {
      close(out_pipe[0]);
      close(err_pipe[0]);
    }
    throw std::runtime_error("cannot run '" + cmd[0] + "': " + std::strerror(rc));
  }
  out_fd = out_pipe[0];
  err_fd = err_pipe[0];
  return pid;
}

// Copies a pipe to `to` (our own stdout or stderr) as it comes, keeping it all.
asio::awaitable<void> drain(asio::posix::stream_descriptor& from, int to, std::string& kept) {
  char buf[16384];
  for (;;) {
    auto [ec, n] = co_await from.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    if (n > 0) {
      kept.append(buf, n);
      for (std::size_t w = 0; w < n;) {
        const ssize_t m = ::write(to, buf + w, n - w);
        if (m <= 0) break;
        w += static_cast<std::size_t>(m);
      }
    }
    if (ec) co_return;  // EOF (the command closed it, or ended)
  }
}

struct command_failed : std::runtime_error {
  explicit command_failed(outcome o)
      : std::runtime_error("the command exited with " + std::to_string(o.code) + " (not recorded: it may run again)"),
        result(std::move(o)) {}
  outcome result;
};

void print_replay(const outcome& o) {
  std::cout << o.out << std::flush;
  std::cerr << o.err << std::flush;
}

// What runs a command through the record (idempotency::run for `ddb once`,
// ledger::call for `ddb ledger call`).
using recorded_runner = std::function<asio::awaitable<ddb::agent::once_result>(
    ddb::client&, ddb::agent::idempotency::function, ddb::agent::run_options)>;

// Runs the command after -- at most once through `invoke`: the first run
// prints as it goes and is recorded with its exit code; a replay prints the
// record and exits with the recorded code; busy: exit 75.
int run_recorded(const args& a, const char* what, const recorded_runner& invoke) {
  ddb::agent::run_options opt;
  opt.expire = std::chrono::seconds(a.number("expire-seconds", 86400));
  opt.in_progress = std::chrono::seconds(a.number("in-progress-seconds", 600));
  opt.wait = std::chrono::seconds(a.options.count("wait") ? a.number("wait", 1) : 0);
  opt.record_failures = a.options.count("record-failures") != 0;
  const std::vector<std::string> cmd = a.command;
  if (cmd.empty()) throw usage_error("give the command to run after --");
  asio::io_context io;
  ddb::client c(io.get_executor(), config_from(a));
  int rc = 0;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    const bool record_failures = opt.record_failures;
    ddb::agent::idempotency::function run_command = [&]() -> asio::awaitable<std::string> {
      int out_fd = -1, err_fd = -1;
      const pid_t pid = start(cmd, true, out_fd, err_fd);
      asio::posix::stream_descriptor out(io, out_fd), err(io, err_fd);
      outcome o;
      using namespace asio::experimental::awaitable_operators;
      co_await (drain(out, 1, o.out) && drain(err, 2, o.err));
      int status = 0;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      o.code = exit_code_of(status);
      if (o.code != 0 && !record_failures) throw command_failed(std::move(o));
      co_return encode(o);
    };
    try {
      ddb::agent::once_result r = co_await invoke(c, std::move(run_command), opt);
      const outcome o = decode(r.value);
      if (r.replayed) print_replay(o);  // the first run printed as it went
      rc = o.code;
    } catch (const command_failed& f) {
      rc = f.result.code;
      std::cerr << what << ": " << f.what() << "\n";
    } catch (const ddb::error& e) {
      std::cerr << what << ": " << e.what() << "\n";
      rc = e.code() == ddb::errc::already_in_progress ? exit_busy : exit_client;
    }
    c.close();
  }, [&](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  return rc;
}

int once(const args& a) {
  const std::string table = a.require("table-name"), key = a.require("key");
  const ddb::agent::table_options t{.table_name = table, .create_table = a.options.count("create-table") != 0};
  return run_recorded(a, "ddb once", [&](ddb::client& c, ddb::agent::idempotency::function fn,
                                         ddb::agent::run_options opt) -> asio::awaitable<ddb::agent::once_result> {
    ddb::agent::idempotency idem(c, t);
    ddb::agent::once_result r = co_await idem.run(key, std::move(fn), std::move(opt));
    co_return r;
  });
}

// ddb ledger call: the command as step N of run R (ddb::agent::ledger).
int ledger_call(const args& a) {
  const std::string table = a.require("table-name"), run = a.require("run");
  a.require("step");
  const std::int64_t step = a.number("step", 0, 0);
  const std::string call_args = a.get("args");
  const ddb::agent::table_options t{.table_name = table, .create_table = a.options.count("create-table") != 0};
  return run_recorded(a, "ddb ledger call", [&](ddb::client& c, ddb::agent::idempotency::function fn,
                                                ddb::agent::run_options opt) -> asio::awaitable<ddb::agent::once_result> {
    ddb::agent::ledger book(c, t);
    ddb::agent::once_result r = co_await book.call(run, step, call_args, std::move(fn), std::move(opt));
    co_return r;
  });
}

int lock(const args& a) {
  const std::string table = a.require("table-name"), name = a.require("name");
  const auto duration = std::chrono::seconds(a.number("lease-seconds", 30));
  ddb::agent::acquire_options opt;
  opt.wait = std::chrono::seconds(a.options.count("wait") ? a.number("wait", 1) : 0);
  const auto grace = std::chrono::seconds(a.number("grace-seconds", 10));
  const std::vector<std::string> cmd = a.command;
  if (cmd.empty()) throw usage_error("give the command to run after --");
  asio::io_context io;
  ddb::client c(io.get_executor(), config_from(a));
  // SIGCHLD is watched before the command starts, so its end cannot be missed.
  asio::signal_set children(io, SIGCHLD);
  asio::signal_set stop(io, SIGINT, SIGTERM);
  int rc = 0;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    ddb::agent::leases leases(c, {.table_name = table, .create_table = a.options.count("create-table") != 0});
    // Not a structured binding: the handlers below capture the lease (clang 14
    // cannot capture structured bindings).
    auto acquired = co_await leases.acquire(name, duration, opt, asio::as_tuple(asio::use_awaitable));
    const error_code ec = std::get<0>(acquired);
    ddb::agent::held_lease& lease = std::get<1>(acquired);
    if (ec) {
      std::cerr << "ddb lock: " << lease.diag.message << "\n";
      rc = ec == ddb::errc::lease_busy ? exit_busy : exit_client;
      c.close();
      co_return;
    }
    int unused_out = -1, unused_err = -1;
    const pid_t pid = start(cmd, false, unused_out, unused_err, {"DDB_FENCE=" + std::to_string(lease.fence())});
    bool ended = false, lost = false;
    asio::steady_timer lost_watch(io, asio::steady_timer::time_point::max());
    asio::steady_timer kill_timer(io);
    lost_watch.async_wait(asio::bind_cancellation_slot(lease.lost_slot(), [&](error_code) {
      if (ended || !lease.lost()) return;
      lost = true;
      ::kill(pid, SIGTERM);
      kill_timer.expires_after(grace);
      kill_timer.async_wait([&](error_code e) {
        if (!e && !ended) ::kill(pid, SIGKILL);
      });
    }));
    std::function<void()> forward = [&] {
      stop.async_wait([&](error_code e, int sig) {
        if (e || ended) return;
        ::kill(pid, sig);
        forward();
      });
    };
    forward();
    int status = 0;
    for (;;) {
      const pid_t r = waitpid(pid, &status, WNOHANG);
      if (r == pid || (r < 0 && errno != EINTR)) break;
      if (r == 0) (void)co_await children.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    ended = true;
    lost_watch.cancel();
    kill_timer.cancel();
    stop.cancel();
    children.cancel();
    // Let the handlers just cancelled run while what they refer to exists.
    co_await asio::post(io, asio::use_awaitable);
    if (lost) {
      std::cerr << "ddb lock: the lease '" << name << "' was lost while the command ran (renewals refused or late); "
                << "the command was stopped (fence " << lease.fence() << " is stale)\n";
      rc = exit_lost;
    } else {
      (void)co_await lease.release(asio::as_tuple(asio::use_awaitable));
      rc = exit_code_of(status);
    }
    c.close();
  }, [&](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  return report_failures(usage_text, [&] {
    args a = parse_args(argc, argv);
    if (a.options.count("help")) {
      std::cout << usage_text;
      return 0;
    }
    if (a.positional.empty()) throw usage_error("say once, lock, ledger, limit, flags, memory, checkpoint or streams");
    if (a.positional[0] == "once") return once(a);
    if (a.positional[0] == "lock") return lock(a);
    if (a.positional[0] == "ledger") {
      if (a.positional.size() > 1 && a.positional[1] == "call") return ledger_call(a);
      return ledger_command(a);
    }
    if (a.positional[0] == "limit") return limit_command(a);
    if (a.positional[0] == "flags") return flags_command(a);
    if (a.positional[0] == "streams") return streams_command(a);
    if (a.positional[0] == "memory") return memory_command(a);
    if (a.positional[0] == "checkpoint") return checkpoint_command(a);
    throw usage_error("unknown command '" + a.positional[0] + "' (once, lock, ledger, limit, flags, memory, checkpoint or streams)");
  });
}
