#pragma once
// The client's credentials cache as a pure state machine: the caller passes
// the time in, asks what to do, and reports how each refresh ended. The I/O
// (running the provider) stays in the client.
//
//   request arrives    -> use                 credentials valid, not due for refresh
//                      -> use_and_refresh     valid but within refresh_before of expiry:
//                                             sign with them now, start a background refresh
//                      -> wait_and_refresh    none yet or expired, no refresh running: start one, wait
//                      -> wait                none yet or expired, a refresh is running: wait for it
// A refresh that fails while the old credentials are still valid keeps them
// and schedules the next try with doubling backoff; a failure when there is
// nothing valid fails the waiting requests (the next request tries again).
#include <chrono>
#include <cstdint>
#include <optional>

#include "ddb/core/credentials.hpp"

namespace ddb::auth {

class credentials_cache {
 public:
  using time_point = std::chrono::system_clock::time_point;
  enum class action { use, use_and_refresh, wait_and_refresh, wait };

  credentials_cache(std::chrono::seconds refresh_before, std::chrono::milliseconds retry_min,
                    std::chrono::milliseconds retry_max)
      : refresh_before_(refresh_before), retry_min_(retry_min), retry_max_(retry_max) {}

  // Decides for one request; a *_and_refresh answer marks the refresh as running.
  action on_request(time_point now);
  // The refresh brought credentials.
  void on_refreshed(credentials c, time_point now);
  // The refresh failed. True when the current credentials are still usable
  // (the failure only delays the next try).
  bool on_failed(time_point now);

  bool valid(time_point now) const { return has_ && (!creds_.expiration || now < *creds_.expiration); }
  const credentials& current() const noexcept { return creds_; }
  // Bumped each time new credentials arrive.
  std::uint64_t generation() const noexcept { return generation_; }
  std::uint64_t refreshes_started() const noexcept { return started_; }

 private:
  bool due(time_point now) const;

  credentials creds_;
  bool has_ = false;
  bool refreshing_ = false;
  std::optional<time_point> next_try_;  // after a failed refresh
  std::chrono::milliseconds backoff_{0};
  std::uint64_t generation_ = 0;
  std::uint64_t started_ = 0;
  std::chrono::seconds refresh_before_;
  std::chrono::milliseconds retry_min_, retry_max_;
};

}  // namespace ddb::auth
