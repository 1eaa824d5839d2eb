#pragma once
// Feature flags: named sets of flags (name -> value text, e.g. JSON) that
// every process reads from the agent table, switched atomically.
//
//   ddb::agent::flags fl(client, {.table_name = "agent"});
//   ddb::agent::flag_value v = co_await fl.get("prod", "new-planner");   // cached, refreshed every 30 s
//   ddb::agent::flag_set_view now = co_await fl.read("prod");            // consistent
//   std::map<std::string, std::string> next = now.flags;
//   next["new-planner"] = "true";
//   co_await fl.publish("prod", next, now.generation);   // all or nothing; stale: errc::version_conflict
//
// The protocol (README "Agent state"): a set is a pointer item (pk "flags#" +
// set, sk "#current": generation, token, count) and, per generation, one item
// per flag at sk "gen#" + generation (19 digits) + "#" + token + "#" + name.
// publish() writes the new generation's items under a fresh random token
// (invisible: no pointer names them), then flips the pointer with one
// UpdateItem on condition that its generation is still the one the caller
// read: readers see the old set or the new one, never a mix; a stale
// publisher's flip is refused (errc::version_conflict) and its items
// deleted. After a flip the generation before the previous one is deleted
// (a reader two publishes behind sees a count that does not match and reads
// the pointer again). A reader reads the pointer, then the generation's items
// (consistent Query), and checks their count.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "ddb/agent/table.hpp"

namespace ddb::agent {

/// A whole flag set as read (read()).
struct flag_set_view {
  std::int64_t generation = 0;               ///< 0: nothing published yet
  std::map<std::string, std::string> flags;  ///< name -> value
  std::int64_t published_ms = 0;  ///< server time of the publish, epoch ms; 0: never published
  diagnostics diag;  ///< the failure's message (as_tuple and callbacks)
};

/// One flag as get() found it.
struct flag_value {
  std::optional<std::string> value;  ///< none: the set has no such flag
  std::int64_t generation = 0;  ///< the set's generation it was read from (0: nothing published)
  bool cached = false;  ///< from this process's copy (at most flags_options::refresh old)
  diagnostics diag;  ///< the failure's message (as_tuple and callbacks)
};

/// What publish() wrote.
struct published {
  std::int64_t generation = 0;  ///< the new generation: expected + 1
  diagnostics diag;  ///< the failure's message (as_tuple and callbacks)
};

/// Options of a flags reader and publisher.
struct flags_options {
  /// How old a cached set may be before get() reads it again.
  std::chrono::milliseconds refresh{30'000};
};

/// Feature flag sets in the agent table, with a per-process cache (README
/// "Agent state"). The client must outlive it. Move-only.
class flags {
 public:
  /// Cached sets refreshed every 30 s. No I/O: the table is checked on first use.
  flags(client& c, table_options t);
  /// With options (the cache's refresh period).
  flags(client& c, table_options t, flags_options o);
  ~flags();
  flags(flags&&) noexcept;  ///< the moved-from object may only be destroyed or assigned to
  flags& operator=(flags&&) noexcept;  ///< the moved-from object may only be destroyed or assigned to

  /// The set as stored now (consistent reads); refreshes the cache.
  /// One GetItem of the pointer and a Query of the generation's flags (read
  /// again, up to 5 times, when a publish replaced it meanwhile). Errors:
  /// errc::invalid_config (empty or over-long set name), errc::write_conflict
  /// (published again during each of the 5 reads), DynamoDB's errors.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto read(const std::string& set, Token&& token = {}) {
    return detail::run_op<flag_set_view>(executor(), std::forward<Token>(token),
                                         [this, set]() mutable { return read_impl(std::move(set)); });
  }
  /// One flag, from the cache when it is fresh enough (no request), else
  /// read() (its requests and errors).
  template <class Token = boost::asio::use_awaitable_t<>>
  auto get(const std::string& set, const std::string& name, Token&& token = {}) {
    return detail::run_op<flag_value>(executor(), std::forward<Token>(token), [this, set, name]() mutable {
      return get_impl(std::move(set), std::move(name));
    });
  }
  /// Replaces the whole set by `all` as generation expected + 1, on condition
  /// that the stored generation is still `expected` (0: nothing published).
  /// A flag whose name and value exceed one item (350,000 bytes) is refused
  /// with errc::item_too_large, never dropped.
  /// Requests: a GetItem of the pointer, BatchWriteItem of the flags, one
  /// conditional UpdateItem (the flip), then a Query and batch deletes of the
  /// generation before the previous one. Errors: errc::version_conflict (the
  /// stored generation is not `expected`), errc::invalid_config (a bad set or
  /// flag name, a negative `expected`, invalid UTF-8), errc::unprocessed
  /// (flags left unwritten: nothing published), DynamoDB's errors.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto publish(const std::string& set, const std::map<std::string, std::string>& all, std::int64_t expected,
               Token&& token = {}) {
    return detail::run_op<published>(executor(), std::forward<Token>(token), [this, set, all, expected]() mutable {
      return publish_impl(std::move(set), std::move(all), expected);
    });
  }
  /// Forgets the cached copy of a set, so the next get() reads it.
  void invalidate(const std::string& set);
  /// For a Streams consumer of the agent table (ddb/streams/consumer.hpp):
  /// given a changed item's keys, forgets the set whose pointer changed and
  /// returns its name (none: not a flag set's pointer). Caches then follow a
  /// publish within the consumer's poll, not the refresh period:
  ///   for (const auto& r : batch.records) fl.invalidate_changed(r.keys);
  std::optional<std::string> invalidate_changed(const ddb::item& keys);

 private:
  boost::asio::any_io_executor executor() const;
  boost::asio::awaitable<flag_set_view> read_impl(std::string set);
  boost::asio::awaitable<flag_value> get_impl(std::string set, std::string name);
  boost::asio::awaitable<published> publish_impl(std::string set, std::map<std::string, std::string> all,
                                                 std::int64_t expected);
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ddb::agent
