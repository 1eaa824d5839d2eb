#pragma once
// Run checkpoints: an agent thread's state saved after each step, so a
// restarted runtime resumes from the latest one. A thread is a chain:
// checkpoint n+1 names n as its parent, and two writers that both continue
// from n cannot both succeed (the thread never forks silently).
//
//   ddb::agent::checkpoints cps(client, {.table_name = "agent"});
//   std::optional<ddb::agent::checkpoint> last = co_await cps.latest(thread);
//   const std::int64_t parent = last ? last->id : 0;
//   ddb::agent::saved s = co_await cps.save(thread, parent, state_json, meta_json);
//   // another writer saved on `parent` first: errc::checkpoint_conflict
//
// Layout (README "Agent state"): pk "ckpt#" + thread; the checkpoint's item
// at sk "cp#" + its id in 19 digits (id, parent, created, size, metadata,
// the payload itself when it is at most 16 KB, else its part count and
// SHA-256); larger payloads in part items at sk "cpdata#" + id + "#" + part
// (380,000 bytes each). A save is one write: a PutItem of the checkpoint's
// item on condition that no item has its id, or, when there is a parent or
// there are parts, one TransactWriteItems of that Put, a ConditionCheck that
// the parent exists, and the parts. Either everything is written or nothing:
// there is never a checkpoint whose payload is missing. Ids count up from 1
// (id = parent + 1), so "no item has this id" is "the parent has no child".
// latest() is one Query (newest first, consistent, Limit 1) plus, for a
// large payload, one Query of its parts; list() reads by key condition only
// (never a filter), newest first.
//
// Cost: a small first checkpoint is one write unit per KB; with a parent a
// transaction (2 units per KB of each item, the ConditionCheck included).
// Errors: errc::checkpoint_conflict (the parent has a child already: load
// the latest and decide), errc::invalid_config (an empty or over-long thread
// id, a parent that does not exist, a negative parent, metadata over 16 KB:
// nothing written), errc::result_too_large (a payload over 3,800,000 bytes,
// what one transaction can carry), DynamoDB's errors.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ddb/agent/table.hpp"

namespace ddb::agent {

/// One saved checkpoint of a thread (latest(), load(); list() without payloads).
struct checkpoint {
  std::string thread;  ///< the thread's id, as given to save()
  std::int64_t id = 0;      ///< 1, 2, ...: the n-th checkpoint of the thread
  std::int64_t parent = 0;  ///< id - 1; 0 for the first
  std::string payload;      ///< empty in list()'s pages
  std::string metadata;     ///< the caller's (e.g. JSON: step, model, token counts)
  std::size_t payload_size = 0;  ///< the payload's size in bytes (also in list()'s pages)
  std::int64_t created_ms = 0;  ///< server time (client::server_time())
  diagnostics diag;  ///< the failure's message (as_tuple and callbacks)
};

/// What save() wrote.
struct saved {
  std::int64_t id = 0;  ///< the new checkpoint's id: parent + 1
  diagnostics diag;  ///< the failure's message (as_tuple and callbacks)
};

/// One page of list().
struct checkpoint_page {
  std::vector<checkpoint> checkpoints;  ///< newest first, payloads not read
  std::optional<std::int64_t> next;     ///< list(thread, *next, ...) continues (older ones); empty at the end
  diagnostics diag;  ///< the failure's message (as_tuple and callbacks)
};

/// Options of a checkpoints store.
struct checkpoint_options {
  /// Checkpoints (and their parts) expire this long after they are saved
  /// (TTL on expires_at); none: kept until deleted.
  std::optional<std::chrono::seconds> expire;
};

/// Run checkpoints in the agent table (README "Agent state"): each thread a
/// chain that never forks. The client must outlive it. Move-only.
class checkpoints {
 public:
  /// Checkpoints kept until deleted. No I/O: the table is checked on first use.
  checkpoints(client& c, table_options t);
  /// With options (checked on save(): a non-positive expire is errc::invalid_config).
  checkpoints(client& c, table_options t, checkpoint_options o);
  ~checkpoints();
  checkpoints(checkpoints&&) noexcept;  ///< the moved-from object may only be destroyed or assigned to
  checkpoints& operator=(checkpoints&&) noexcept;  ///< the moved-from object may only be destroyed or assigned to

  /// Saves the checkpoint after `parent` (0: the thread's first) and returns
  /// its id (parent + 1). Arguments are copied before the call returns; with
  /// GCC 12 name them rather than building them inside co_await.
  /// One conditional PutItem (a first checkpoint of at most 16 KB), else one
  /// TransactWriteItems (2 write units per KB of each item). Errors:
  /// errc::checkpoint_conflict (`parent` has a child already: load the latest),
  /// errc::invalid_config (empty or over-long thread id; a negative or missing
  /// parent; metadata over 16 KB; nothing written), errc::result_too_large (a
  /// payload over 3,800,000 bytes), DynamoDB's errors.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto save(const std::string& thread, std::int64_t parent, const std::string& payload, const std::string& metadata,
            Token&& token = {}) {
    return detail::run_op<saved>(executor(), std::forward<Token>(token),
                                 [this, thread, parent, payload, metadata]() mutable {
                                   return save_impl(std::move(thread), parent, std::move(payload), std::move(metadata));
                                 });
  }
  /// The newest checkpoint of the thread (consistent reads), or none.
  /// One Query, plus one Query of its parts for a payload over 16 KB. Errors:
  /// errc::invalid_config (empty or over-long thread id), errc::unexpected_json
  /// (parts missing or not matching the stored hash), DynamoDB's errors; with
  /// as_tuple or callbacks the optional then holds a checkpoint with only diag.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto latest(const std::string& thread, Token&& token = {}) {
    return detail::run_op<std::optional<checkpoint>>(executor(), std::forward<Token>(token),
                                                     [this, thread]() mutable { return load_impl(std::move(thread), 0); });
  }
  /// Checkpoint `id` of the thread (consistent reads), or none; id 0: the
  /// newest, as latest(). One GetItem (plus a Query of its parts); errors as
  /// latest(), and errc::invalid_config for a negative id.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto load(const std::string& thread, std::int64_t id, Token&& token = {}) {
    return detail::run_op<std::optional<checkpoint>>(executor(), std::forward<Token>(token),
                                                     [this, thread, id]() mutable { return load_impl(std::move(thread), id); });
  }
  /// Up to `limit` (1 to 1,000) checkpoints older than `before` (0: from the
  /// newest), newest first, without payloads. Consistent Query pages of
  /// limit + 1 items. Errors: errc::invalid_config (limit out of range, a
  /// negative `before`, a bad thread id), DynamoDB's errors.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto list(const std::string& thread, std::int64_t before, std::size_t limit, Token&& token = {}) {
    return detail::run_op<checkpoint_page>(executor(), std::forward<Token>(token),
                                           [this, thread, before, limit]() mutable {
                                             return list_impl(std::move(thread), before, limit);
                                           });
  }

 private:
  boost::asio::any_io_executor executor() const;
  boost::asio::awaitable<saved> save_impl(std::string thread, std::int64_t parent, std::string payload,
                                          std::string metadata);
  /// id 0: the newest.
  boost::asio::awaitable<std::optional<checkpoint>> load_impl(std::string thread, std::int64_t id);
  boost::asio::awaitable<checkpoint_page> list_impl(std::string thread, std::int64_t before, std::size_t limit);
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ddb::agent
