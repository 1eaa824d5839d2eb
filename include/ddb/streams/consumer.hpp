#pragma once
// ddb::streams::consumer: every change of a table, in order per item, as an
// asynchronous sequence of batches, resuming where it stopped.
//
//   ddb::streams::client s(ex, streams_cfg);
//   ddb::streams::consumer feed(s, db, {.table_name = "orders", .name = "mailer",
//                                       .positions = {.table_name = "agent", .create_table = true}});
//   for (;;) {
//     ddb::streams::batch b = co_await feed.next();   // saves the previous batch's position first
//     for (const ddb::streams::record& r : b.records) handle(r);
//   }
//
// Guarantees (README "Streams"):
// - Lineage: a shard is read only after its parent shard was read to its end
//   (or left the stream), so the changes to one item arrive in the order they
//   were made, across shard splits.
// - In one run every record is delivered exactly once: each shard is read by
//   one chain of iterators, an expired iterator is replaced at the last
//   delivered sequence number.
// - Across restarts, at least once: a batch's position is saved when the
//   caller asks for the next batch (or calls commit()); a consumer killed
//   after next() returned and before the following call delivers that batch
//   again. Handlers must tolerate repeats (ddb::agent::idempotency helps).
// - Positions live in the agent table (pk "streampos#" + name + "#" + stream
//   ARN, sk = shard id; expires_at two days on, past the stream's 24-hour
//   retention). One consumer per name at a time (hold a ddb::agent::lease
//   to make sure); two consumers need two names and both see every change.
// - A saved position older than the retention restarts its shard at the
//   oldest record still kept (stats().trimmed counts it: records were lost).
// - start_position::latest applies to a consumer with nothing saved: what is
//   in the stream already is skipped.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ddb/agent/table.hpp"
#include "ddb/streams.hpp"

namespace ddb::streams {

/// Where a consumer with no saved position starts: trim_horizon at the oldest
/// record still kept; latest skips what is in the stream already (closed shards
/// count as read, open ones start at their newest end). Shards found later
/// (children) are always read from their start.
enum class start_position { trim_horizon, latest };

/// What a consumer follows, where it saves its positions, and how it polls.
struct consumer_options {
  std::string table_name;  ///< the table whose stream to follow (its latest stream)
  std::string stream_arn;  ///< or the stream itself
  /// The consumer's name in the positions' key: not empty, no `#`
  /// (errc::invalid_config). Two names: two independent followers.
  std::string name = "default";
  agent::table_options positions;  ///< where positions are saved; empty table_name: nowhere (each run starts afresh)
  start_position start = start_position::trim_horizon;  ///< with nothing saved: where to start
  int batch_limit = 1000;                      ///< GetRecords Limit: 1 to 1000
  std::chrono::milliseconds idle_wait{1000};   ///< next() waits this long when every shard is caught up; not negative
  std::chrono::milliseconds rediscover{10000};  ///< DescribeStream at least this often (new shards); positive
};

/// Records of one shard, in sequence order. Empty after an idle wait (every
/// shard caught up): the caller may stop or ask again.
struct batch {
  std::string shard_id;  ///< the shard the records come from; empty after an idle wait
  std::vector<record> records;  ///< in sequence order; empty after an idle wait
  /// GetRecords' diagnostics; with as_tuple or callbacks, the failure's message.
  diagnostics diag;
};

/// Counters of one consumer since it was made (stats()).
struct consumer_stats {
  std::uint64_t records = 0;  ///< records delivered
  std::uint64_t batches = 0;  ///< non-empty batches delivered
  std::uint64_t polls = 0;           ///< GetRecords calls
  std::uint64_t iterators = 0;       ///< GetShardIterator calls
  std::uint64_t expired_iterators = 0;  ///< GetRecords refused for an expired iterator (replaced at the position)
  std::uint64_t trimmed = 0;         ///< positions past the retention (records lost)
  std::uint64_t saves = 0;           ///< position writes
  std::size_t shards = 0;  ///< shards known (listed by DescribeStream)
  std::size_t finished_shards = 0;  ///< shards read to their end (or gone from the stream)
};

namespace detail {
class consumer_impl;
}

/// Follows a table's stream shard by shard, in lineage order, saving its
/// positions in the agent table (guarantees: README "Streams"). Move-only.
class consumer {
 public:
  /// Both clients must outlive the consumer; it keeps no thread. Nothing is
  /// read or checked until the first next() or commit().
  consumer(client& streams, ddb::client& db, consumer_options options);
  ~consumer();
  consumer(consumer&&) noexcept;  ///< the moved-from consumer may only be destroyed or assigned to
  consumer& operator=(consumer&&) noexcept;  ///< the moved-from consumer may only be destroyed or assigned to

  /// The next batch (see batch). Saves the positions of what earlier calls
  /// returned first. One call at a time. Requests: one PutItem per changed
  /// shard's position, then DescribeStream, GetShardIterator and GetRecords
  /// until a shard has records (or an idle wait); the first call also resolves
  /// the stream (DescribeTable) and loads the saved positions (Query).
  /// Errors (ddb::error): errc::invalid_config (options out of range, a table
  /// without a stream, a bad name, a missing positions table), DynamoDB's and
  /// Streams' other errors (expired iterators and trimmed positions are handled).
  template <class Token = boost::asio::use_awaitable_t<>>
  auto next(Token&& token = {}) {
    return agent::detail::run_op<batch>(executor(), std::forward<Token>(token), [impl = impl_] { return next_impl(impl); });
  }
  /// Saves the positions of every batch returned so far (one PutItem per
  /// changed shard; none without a positions table). Errors as next().
  template <class Token = boost::asio::use_awaitable_t<>>
  auto commit(Token&& token = {}) {
    return agent::detail::run_op<void>(executor(), std::forward<Token>(token), [impl = impl_] { return commit_impl(impl); });
  }

  /// The stream followed: empty until the first next() or commit() resolved it.
  const std::string& stream_arn() const noexcept;
  /// The counters so far (a copy).
  consumer_stats stats() const;

 private:
  boost::asio::any_io_executor executor() const;
  static boost::asio::awaitable<batch> next_impl(std::shared_ptr<detail::consumer_impl> impl);
  static boost::asio::awaitable<void> commit_impl(std::shared_ptr<detail::consumer_impl> impl);
  std::shared_ptr<detail::consumer_impl> impl_;
};

}  // namespace ddb::streams
