#include "credentials/cache.hpp"

#include <algorithm>

namespace ddb::auth {

bool credentials_cache::due(time_point now) const {
  if (!creds_.expiration) return false;
  if (next_try_ && now < *next_try_) return false;  // backing off after a failure
  return *creds_.expiration - now < refresh_before_;
}

credentials_cache::action credentials_cache::on_request(time_point now) {
  if (valid(now)) {
    if (refreshing_ || !due(now)) return action::use;
    refreshing_ = true;
    ++started_;
    return action::use_and_refresh;
  }
  if (refreshing_) return action::wait;
  refreshing_ = true;
  ++started_;
  return action::wait_and_refresh;
}

void credentials_cache::on_refreshed(credentials c, time_point now) {
  creds_ = std::move(c);
  has_ = true;
  refreshing_ = false;
  next_try_.reset();
  backoff_ = std::chrono::milliseconds(0);
  ++generation_;
  // Credentials that arrive already inside the refresh window (a provider
  // that hands out short-lived ones) are refreshed again at half their
  // remaining life, not on every request.
  if (creds_.expiration && *creds_.expiration - now < refresh_before_) {
    const auto half = (*creds_.expiration - now) / 2;
    next_try_ = now + std::max<std::chrono::system_clock::duration>(half, retry_min_);
  }
}

bool credentials_cache::on_failed(time_point now) {
  refreshing_ = false;
  if (!valid(now)) {
    next_try_.reset();  // nothing to fall back on: the next request tries at once
    backoff_ = std::chrono::milliseconds(0);
    return false;
  }
  backoff_ = backoff_.count() == 0 ? retry_min_ : std::min(backoff_ * 2, retry_max_);
  next_try_ = now + backoff_;
  return true;
}

}  // namespace ddb::auth
