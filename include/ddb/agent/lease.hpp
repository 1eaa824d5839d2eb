#pragma once
// Leases with fencing tokens: at most one holder of a name at a time, each
// holder with a number (the fence) larger than any given out before for
// that name, so a paused holder that wakes up after losing its lease can be
// refused downstream (a store that keeps the largest fence it has seen).
//
//   ddb::agent::leases leases(client, {.table_name = "agent"});
//   ddb::agent::held_lease l = co_await leases.acquire("nightly-report", 30s);
//   co_await do_work(l.fence(), asio::bind_cancellation_slot(l.lost_slot(), asio::use_awaitable));
//   co_await l.release();
//
// The protocol (README "Agent state", checked by test/model/lease.pml):
//  - acquire: one UpdateItem that sets the owner token and the expiry and adds
//    1 to the fence, on condition that the lease has no owner or its expiry
//    (server time) has passed; it returns the new fence. A dead holder's
//    lease is free as soon as its expiry passes (no further lease to watch).
//  - renew, every heartbeat (duration/3) on an Asio timer (no threads): sets
//    a new expiry on condition that the owner token is still ours.
//  - the holder trusts the lease until its last successful renewal was sent
//    + duration - a safety margin (duration/5); a renewal refused, or none
//    succeeding by then, makes the lease lost: lost_slot() is emitted
//    (terminal cancellation) and lost() turns true.
//  - release: removes the owner on condition that it is still ours (the
//    item and its fence stay). TTL (`expires_at`, a day after the expiry)
//    removes abandoned leases; a new item's fence starts at epoch ms x 1000,
//    above any fence issued before.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "ddb/agent/table.hpp"

namespace ddb::agent {

/// Options of leases::acquire().
struct acquire_options {
  /// How long acquire waits for a held lease to come free (polling with
  /// backoff); 0 fails at once with errc::lease_busy.
  std::chrono::milliseconds wait{0};
  /// Between renewals; default a third of the duration.
  std::optional<std::chrono::milliseconds> heartbeat;
};

namespace detail {
struct lease_state;
}

/// A held lease; renews itself until released, lost or destroyed (destroying
/// it releases it in the background). Move-only.
class held_lease {
 public:
  held_lease() = default;  ///< holds nothing
  ~held_lease();
  held_lease(held_lease&&) noexcept;  ///< the moved-from handle holds nothing
  /// Releases the lease this handle held (in the background), then takes over the other's.
  held_lease& operator=(held_lease&&) noexcept;

  /// False for a default-constructed or moved-from handle; stays true after release() or loss (see lost()).
  explicit operator bool() const noexcept { return state_ != nullptr; }
  /// The lease's name. Throws ddb::error (errc::invalid_config) when the handle holds nothing.
  const std::string& name() const;
  /// Larger than every fence issued for this name before. Throws ddb::error
  /// (errc::invalid_config) when the handle holds nothing.
  std::int64_t fence() const;
  /// True once the lease is lost (its work must stop; the fence is stale).
  bool lost() const;
  /// Emits terminal cancellation when the lease is lost: bind work to it
  /// with asio::bind_cancellation_slot(lease.lost_slot(), token). Throws
  /// ddb::error (errc::invalid_config) when the handle holds nothing.
  boost::asio::cancellation_slot lost_slot();

  /// Stops renewing and gives the lease up (on condition it is still ours):
  /// one conditional UpdateItem, none when already lost or released. Errors:
  /// DynamoDB's (a refused condition is not one: was_held is false). Throws
  /// ddb::error (errc::invalid_config) at once when the handle holds nothing.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto release(Token&& token = {}) {
    return detail::run_op<released>(executor(), std::forward<Token>(token), [s = state_]() { return release_impl(s); });
  }
  /// What release() found.
  struct released {
    bool was_held = false;  ///< false when it had been lost or released already
    diagnostics diag;  ///< the failure's message (as_tuple and callbacks)
  };

  diagnostics diag;  ///< the failure's message (as_tuple and callbacks of acquire)

 private:
  friend class leases;
  explicit held_lease(std::shared_ptr<detail::lease_state> s) : state_(std::move(s)) {}
  boost::asio::any_io_executor executor() const;
  static boost::asio::awaitable<released> release_impl(std::shared_ptr<detail::lease_state> s);
  std::shared_ptr<detail::lease_state> state_;
};

/// Leases with fencing tokens in the agent table (README "Agent state"). The
/// client must outlive it and every held_lease it gave. Move-only.
class leases {
 public:
  /// No I/O: the table is checked on the first acquire().
  leases(client& c, table_options t);
  ~leases();
  leases(leases&&) noexcept;  ///< the moved-from object may only be destroyed or assigned to
  leases& operator=(leases&&) noexcept;  ///< the moved-from object may only be destroyed or assigned to

  /// Takes the lease `name` for `duration` (1 s to 1 day). Errors:
  /// errc::lease_busy (held by another, not free within opt.wait),
  /// errc::invalid_config (empty or over-long name, durations out of range;
  /// nothing written), DynamoDB's errors.
  /// Cost: one conditional UpdateItem per try (tries with backoff until
  /// opt.wait is over); then one UpdateItem per heartbeat while held.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto acquire(std::string name, std::chrono::milliseconds duration, acquire_options opt, Token&& token = {}) {
    return detail::run_op<held_lease>(executor(), std::forward<Token>(token),
                                      [this, name = std::move(name), duration, opt]() mutable {
                                        return acquire_impl(std::move(name), duration, opt);
                                      });
  }
  /// With the default options: fails at once when the lease is held.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto acquire(std::string name, std::chrono::milliseconds duration, Token&& token = {}) {
    return acquire(std::move(name), duration, acquire_options(), std::forward<Token>(token));
  }

 private:
  boost::asio::any_io_executor executor() const;
  boost::asio::awaitable<held_lease> acquire_impl(std::string name, std::chrono::milliseconds duration,
                                                  acquire_options opt);
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ddb::agent
