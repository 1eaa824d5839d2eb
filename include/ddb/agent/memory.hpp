#pragma once
// Session memory: a user's conversations with an agent, one item per
// message, so an append never rewrites history and costs the message's size,
// not the conversation's.
//
//   ddb::agent::memory mem(client, {.table_name = "agent"});
//   co_await mem.append(user, conversation, "user", text, run_id);
//   ddb::agent::message_page last = co_await mem.last(user, conversation, {.limit = 20});
//   // last.messages newest first; last.next pages further back
//
// Layout (README "Agent state"): pk "mem#" + user; a message at sk
// conversation + "#" + epoch ms (13 digits) + "#" + the appending instance's
// count of appends and its random 32-bit id, 16 hex digits (sortable: one
// instance's messages keep their order even within a millisecond; unique
// across processes, and the PutItem is conditioned on the key being new, a
// taken one retried with a fresh id), with
// role, content (S; B when compressed, with z = 1), at_ms, run_id (only when
// given: the sparse index below), expires_at (TTL). A conversation's item at
// sk "#conv#" + conversation (created_ms) lists the user's conversations
// without reading messages; conversation ids must not contain '#', so the
// prefixes never mix. A message over one item (350,000 bytes after
// compression) is split: its item holds `parts`, the pieces live at sk
// "#part#" + its sk + "#" + index, all written in one transaction (up to
// 3,800,000 bytes; over that, errc::item_too_large, nothing written).
// Index `ddb_run_id` (partition key run_id, KEYS_ONLY): a run's messages
// are a Query of the index and a BatchGetItem of what it returns (the index
// is eventually consistent: a message appended a moment ago may be missing).
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ddb/agent/table.hpp"

namespace ddb::agent {

/// One message of a conversation, as read.
struct message {
  std::string conversation;  ///< the conversation's id
  std::string id;       ///< its sort key: the cursor of pages, the bounds of summarize()
  std::string role;     ///< "user", "assistant", "tool", "system"; "summary" for summarize()'s
  std::string content;  ///< the text as appended (decompressed, parts joined)
  std::string run_id;   ///< empty when appended without one
  std::int64_t at_ms = 0;  ///< server time of the append
  bool compressed = false; ///< stored compressed (zlib)
};

/// What append() or summarize() wrote.
struct appended {
  std::string id;  ///< the new message's id (message::id)
  std::int64_t at_ms = 0;  ///< server time of the write, epoch ms
  std::size_t stored_bytes = 0;  ///< the content as stored (after compression)
  int items = 0;                 ///< 1, or 1 + parts for a split message
  diagnostics diag;  ///< the failure's message (as_tuple and callbacks)
};

/// A page of messages (last(), run_messages()).
struct message_page {
  std::vector<message> messages;     ///< newest first (run_messages: oldest first)
  std::optional<std::string> next;   ///< read_options::before for the next (older) page; empty at the end
  diagnostics diag;  ///< the failure's message (as_tuple and callbacks)
};

/// One conversation of a user (conversations()).
struct conversation_info {
  std::string conversation;  ///< the conversation's id
  std::int64_t created_ms = 0;  ///< server time of its first append, epoch ms
};
/// One page of conversations().
struct conversation_page {
  std::vector<conversation_info> conversations;  ///< in conversation id order
  std::optional<std::string> next;               ///< pass as `after` for the next page
  diagnostics diag;  ///< the failure's message (as_tuple and callbacks)
};

/// What remove() deleted.
struct removed {
  std::size_t items = 0;  ///< items deleted: messages, their parts and the conversation's item
  diagnostics diag;  ///< the failure's message (as_tuple and callbacks)
};

/// Options of a memory store.
struct memory_options {
  /// How long a message is kept (TTL on expires_at): 7 to 30 days, or none.
  std::optional<std::chrono::seconds> keep = std::chrono::hours(24 * 30);
  /// Contents longer than this are stored zlib-compressed when that makes
  /// them smaller (recorded per item); 0: never.
  std::size_t compress_above = 0;
};

/// Options of last().
struct read_options {
  std::size_t limit = 20;              ///< 1 to 1,000
  bool consistent = false;             ///< strongly consistent reads (twice the read units)
  std::optional<std::string> before;   ///< a page's `next`: messages older than it
};

/// Session memory in the agent table: one item per message (README "Agent
/// state"). Needs the table's index `ddb_run_id`: made with the table, else
/// added with create_table (errc::invalid_config without), and waited for
/// until active (errc::operation_timeout after 5 minutes). The client must
/// outlive it. Move-only.
class memory {
 public:
  /// Messages kept 30 days, never compressed. No I/O: the table is checked on first use.
  memory(client& c, table_options t);
  /// With options (checked on append(): keep out of 7 to 30 days is errc::invalid_config).
  memory(client& c, table_options t, memory_options o);
  ~memory();
  memory(memory&&) noexcept;  ///< the moved-from object may only be destroyed or assigned to
  memory& operator=(memory&&) noexcept;  ///< the moved-from object may only be destroyed or assigned to

  /// Appends one message (run_id may be empty). Arguments are copied before
  /// the call returns; with GCC 12 name them rather than building them
  /// inside co_await. One conditional PutItem (a TransactWriteItems with its
  /// parts over 350,000 bytes as stored), plus an UpdateItem of the
  /// conversation's item on this object's first append to it (and once per
  /// tenth of `keep` after). Errors:
  /// errc::invalid_config (bad user, conversation, role or run id), errc::item_too_large
  /// (over 3,800,000 bytes as stored; nothing written), DynamoDB's errors.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto append(const std::string& user, const std::string& conversation, const std::string& role,
              const std::string& content, const std::string& run_id, Token&& token = {}) {
    return detail::run_op<appended>(executor(), std::forward<Token>(token),
                                    [this, user, conversation, role, content, run_id]() mutable {
                                      return append_impl(std::move(user), std::move(conversation), std::move(role),
                                                         std::move(content), std::move(run_id));
                                    });
  }
  /// The newest messages of a conversation, newest first; page back with
  /// read_options::before = the page's next. `limit` messages unless the
  /// conversation has fewer, or they reach 16 MB of content first (large
  /// messages; `next` then continues): one Query, more where DynamoDB's 1 MB
  /// page ends first, plus one per split message. Errors: errc::invalid_config (bad ids, limit out of range),
  /// errc::invalid_cursor (`before` not of this conversation), DynamoDB's errors.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto last(const std::string& user, const std::string& conversation, read_options opt, Token&& token = {}) {
    return detail::run_op<message_page>(executor(), std::forward<Token>(token), [this, user, conversation, opt]() mutable {
      return last_impl(std::move(user), std::move(conversation), std::move(opt));
    });
  }
  /// The user's conversations, `limit` (1 to 1,000) a page, after the id `after`
  /// ("" first). One consistent Query; errc::invalid_config for a bad user or limit.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto conversations(const std::string& user, const std::string& after, std::size_t limit, Token&& token = {}) {
    return detail::run_op<conversation_page>(executor(), std::forward<Token>(token), [this, user, after, limit]() mutable {
      return conversations_impl(std::move(user), std::move(after), limit);
    });
  }
  /// Every message appended with this run id, oldest first (through the
  /// index: eventually consistent). Queries of the index, then BatchGetItem.
  /// Errors: errc::invalid_config (empty or over-long run id), errc::unprocessed
  /// (messages left unread), DynamoDB's errors.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto run_messages(const std::string& run_id, Token&& token = {}) {
    return detail::run_op<message_page>(executor(), std::forward<Token>(token),
                                        [this, run_id]() mutable { return run_messages_impl(std::move(run_id)); });
  }
  /// Replaces the messages from `first_id` to `last_id` (inclusive, up to 98
  /// of them) by one message of role "summary", in one transaction: it sorts
  /// where they were; messages appended meanwhile are kept. Another summary
  /// that replaced some of them first: errc::write_conflict, nothing changed.
  /// Also errc::invalid_config (ids not of this conversation or in the wrong
  /// order, no messages between them), errc::too_many_actions (over 98
  /// messages), errc::item_too_large (a summary over one item).
  template <class Token = boost::asio::use_awaitable_t<>>
  auto summarize(const std::string& user, const std::string& conversation, const std::string& first_id,
                 const std::string& last_id, const std::string& summary, Token&& token = {}) {
    return detail::run_op<appended>(executor(), std::forward<Token>(token),
                                    [this, user, conversation, first_id, last_id, summary]() mutable {
                                      return summarize_impl(std::move(user), std::move(conversation), std::move(first_id),
                                                            std::move(last_id), std::move(summary));
                                    });
  }
  /// Deletes a conversation's messages, their parts and its item (batches:
  /// a message appended while it runs may survive). Consistent Queries, then
  /// BatchWriteItem; errc::unprocessed when some items could not be deleted.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto remove(const std::string& user, const std::string& conversation, Token&& token = {}) {
    return detail::run_op<removed>(executor(), std::forward<Token>(token), [this, user, conversation]() mutable {
      return remove_impl(std::move(user), std::move(conversation));
    });
  }

 private:
  boost::asio::any_io_executor executor() const;
  boost::asio::awaitable<appended> append_impl(std::string user, std::string conversation, std::string role,
                                               std::string content, std::string run_id);
  boost::asio::awaitable<message_page> last_impl(std::string user, std::string conversation, read_options opt);
  boost::asio::awaitable<conversation_page> conversations_impl(std::string user, std::string after, std::size_t limit);
  boost::asio::awaitable<message_page> run_messages_impl(std::string run_id);
  boost::asio::awaitable<appended> summarize_impl(std::string user, std::string conversation, std::string first_id,
                                                  std::string last_id, std::string summary);
  boost::asio::awaitable<removed> remove_impl(std::string user, std::string conversation);
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ddb::agent
