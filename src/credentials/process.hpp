#pragma once
// Runs a command (through /bin/sh -c, as the AWS CLI does on POSIX) without
// blocking the event loop: stdout and stderr are read through pipes on the
// executor, the exit is awaited through a pidfd, and a command that outlives
// its deadline is killed with its whole process group.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

namespace ddb::detail {

struct process_result {
  std::string spawn_error;  // non-empty: the command could not be started
  bool timed_out = false;
  bool cancelled = false;
  bool output_too_large = false;
  int exit_code = -1;       // when it exited
  int signal = 0;           // when a signal ended it
  std::string out;          // stdout (wiped when released)
  std::string err;          // the first 2 KB of stderr
  process_result() = default;
  process_result(process_result&&) = default;
  process_result& operator=(process_result&&) = default;
  ~process_result();
};

boost::asio::awaitable<process_result> run_process(std::string command, std::chrono::milliseconds timeout,
                                                   std::size_t max_output);

}  // namespace ddb::detail
