#include "credentials/process.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <memory>
#include <optional>

#include "ddb/core/secret.hpp"

extern char** environ;

namespace ddb::detail {
namespace asio = boost::asio;
namespace {

constexpr std::size_t stderr_keep = 2048;

// Shared with callbacks that may run after the coroutine has returned.
struct child_state {
  explicit child_state(const asio::any_io_executor& ex) : out(ex), err(ex), exit(ex), timer(ex) {}
  asio::posix::stream_descriptor out, err, exit;  // exit: the pidfd (readable when the child has exited)
  asio::steady_timer timer;
  std::string err_text;
  pid_t pid = -1;
  bool killed = false;
  bool timed_out = false;

  void kill_group() {
    if (killed || pid <= 0) return;
    killed = true;
    ::kill(-pid, SIGKILL);  // the shell and everything it started
  }
  void keep_err(const char* p, std::size_t n) {
    if (err_text.size() < stderr_keep) err_text.append(p, std::min(n, stderr_keep - err_text.size()));
  }
};

// Reads stderr in the background so a chatty command never blocks on a full pipe.
void read_stderr(std::shared_ptr<child_state> st, std::shared_ptr<std::array<char, 1024>> buf) {
  auto& err = st->err;
  err.async_read_some(asio::buffer(*buf), [st = std::move(st), buf](boost::system::error_code ec, std::size_t n) mutable {
    if (n) st->keep_err(buf->data(), n);
    if (!ec) read_stderr(std::move(st), std::move(buf));
  });
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

process_result::~process_result() { secure_wipe(out.data(), out.capacity()); }

asio::awaitable<process_result> run_process(std::string command, std::chrono::milliseconds timeout,
                                            std::size_t max_output) {
  process_result r;
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    r.spawn_error = std::string("pipe: ") + std::strerror(errno);
    for (int* fd : {&out_pipe[0], &out_pipe[1], &err_pipe[0], &err_pipe[1]}) close_fd(*fd);
    co_return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group (so a timeout kills its children too), default
  // signal dispositions and an empty mask whatever the host program set.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  char sh[] = "sh", dash_c[] = "-c";
  char* argv[] = {sh, dash_c, command.data(), nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close_fd(out_pipe[1]);
  close_fd(err_pipe[1]);
  if (rc != 0) {
    r.spawn_error = std::string("cannot start /bin/sh: ") + std::strerror(rc);
    close_fd(out_pipe[0]);
    close_fd(err_pipe[0]);
    co_return r;
  }

  auto ex = co_await asio::this_coro::executor;
  auto st = std::make_shared<child_state>(ex);
  st->pid = pid;
  st->out.assign(out_pipe[0]);
  st->err.assign(err_pipe[0]);
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) st->exit.assign(pidfd);
  read_stderr(st, std::make_shared<std::array<char, 1024>>());
  st->timer.expires_after(timeout);
  st->timer.async_wait([w = std::weak_ptr<child_state>(st)](boost::system::error_code ec) {
    auto s = w.lock();
    if (ec || !s) return;
    s->timed_out = true;
    s->kill_group();
    boost::system::error_code ignored;
    s->out.cancel(ignored);  // a grandchild that escaped the group may still hold the pipe
    s->exit.cancel(ignored);
  });

  std::array<char, 4096> buf;
  bool cancelled = false;
  bool reaped = false;
  int status = 0;
  try {
    for (;;) {
      auto [ec, n] = co_await st->out.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
      if (n) {
        if (r.out.size() + n > max_output) {
          r.output_too_large = true;
          st->kill_group();
        } else {
          r.out.append(buf.data(), n);
        }
      }
      if (ec) {
        if (ec == asio::error::operation_aborted && !st->timed_out) cancelled = true;
        break;
      }
    }
    if (!cancelled && !st->killed && st->exit.is_open()) {
      auto [ec] = co_await st->exit.async_wait(asio::posix::stream_descriptor::wait_read,
                                               asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted && !st->timed_out) cancelled = true;
    } else if (!cancelled && !st->killed) {
      // No pidfd (an old kernel, a strict seccomp profile): poll for the exit
      // on a timer instead of blocking the loop; the deadline still kills it.
      asio::steady_timer poll(ex);
      int early = 0;
      while (!st->killed) {
        const pid_t done = ::waitpid(pid, &early, WNOHANG);
        if (done == pid) {
          reaped = true;
          status = early;
          break;
        }
        if (done < 0 && errno != EINTR) break;
        poll.expires_after(std::chrono::milliseconds(10));
        co_await poll.async_wait(asio::use_awaitable);
      }
    }
  } catch (const boost::system::system_error&) {  // cancelled while suspended (throw_if_cancelled)
    cancelled = true;
  }
  secure_wipe(buf.data(), buf.size());
  if (cancelled) st->kill_group();
  // After the exit event the child is a zombie; after a kill it is dying. Either way this returns promptly.
  bool wait_failed = false;
  if (!reaped) {
    pid_t w;
    while ((w = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
    }
    wait_failed = w < 0;
  }
  st->pid = -1;  // reaped: a late timeout must not signal a reused process group
  boost::system::error_code ignored;
  st->timer.cancel();
  st->exit.close(ignored);
  // What stderr still holds: the child is gone, so a non-blocking read finds all of it.
  st->err.cancel(ignored);
  std::array<char, 1024> ebuf;
  int efd = st->err.release();
  ::fcntl(efd, F_SETFL, ::fcntl(efd, F_GETFL) | O_NONBLOCK);
  for (ssize_t n; (n = ::read(efd, ebuf.data(), ebuf.size())) > 0;) st->keep_err(ebuf.data(), static_cast<std::size_t>(n));
  ::close(efd);
  st->out.close(ignored);
  r.err = st->err_text;
  r.timed_out = st->timed_out;
  r.cancelled = cancelled;
  if (wait_failed) {
    r.spawn_error = std::string("cannot learn how it ended (waitpid: ") + std::strerror(errno) +
                    "; is SIGCHLD ignored in this program?)";
  } else {
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  }
  co_return r;
}

}  // namespace ddb::detail
