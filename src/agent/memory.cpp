// Session memory against DynamoDB: ddb/agent/memory.hpp, its items built and
// read by src/agent/memory_layout.cpp.
#include "ddb/agent/memory.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <map>
#include <random>

#include "agent/common.hpp"
#include "agent/memory_layout.hpp"
#include "agent/protocol.hpp"
#include "ddb/batch.hpp"
#include "ddb/model.hpp"

namespace ddb::agent {

namespace asio = boost::asio;
using namespace detail;

namespace {

constexpr auto index_wait = std::chrono::seconds(300);

// How many part items a message's item says it has (0: none).
std::int64_t parts_of(const item& it) {
  if (!it.find("parts")) return 0;
  auto n = integer_at(it, "parts");
  if (!n || *n < 0) throw ddb::error(fail(errc::unexpected_json, "a memory item's 'parts' is not a count"));
  return *n;
}

asio::awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(asio::use_awaitable);
}

// The index's status, or none when the table has no such index.
asio::awaitable<std::optional<std::string>> index_status(client& c, const std::string& table) {
  describe_table_request d;
  d.table_name = table;
  auto r = co_await c.describe_table(d);
  if (r.table)
    for (const auto& g : r.table->global_secondary_indexes)
      if (g.index_name && *g.index_name == run_index) {
        std::optional<std::string> status(g.index_status ? std::string(g.index_status->str()) : std::string("ACTIVE"));
        co_return status;
      }
  co_return std::nullopt;
}

}  // namespace

struct memory::impl : detail::checked_table {
  impl(client& cl, table_options t, memory_options o)
      : checked_table{cl, std::move(t)}, opt(std::move(o)), rng(std::random_device{}()) {}
  memory_options opt;
  std::mt19937_64 rng;
  bool index_checked = false;
  std::map<std::string, std::int64_t> conversations_kept;  // pk + sk -> when its item was last written here

  // The table (ensure()) and its run index: created when create_table says
  // so, waited for until active.
  asio::awaitable<void> ready() {
    co_await ensure();
    if (index_checked) co_return;
    std::optional<std::string> status = co_await index_status(c, t.table_name);
    if (!status) {
      if (!t.create_table)
        fail_with(errc::invalid_config, "table " + t.table_name + " has no index " + run_index +
                                            " (run_id, KEYS_ONLY), which ddb::agent::memory needs: let ddb add it "
                                            "(table_options::create_table) or add it yourself");
      update_table_request u;
      u.table_name = t.table_name;
      u.attribute_definitions = {{"run_id", ddb::scalar_attribute_type::s}};
      global_secondary_index_update add;
      add.create = create_global_secondary_index_action{
          .index_name = run_index,
          .key_schema = {{"run_id", ddb::key_type::hash}},
          .projection = projection{.projection_type = ddb::projection_type::keys_only}};
      u.global_secondary_index_updates.push_back(std::move(add));
      auto [ec, r] = co_await c.update_table(u, tuple_token);
      // Another process adding it at the same moment is fine: wait for it.
      if (ec && ec != service_errc::resource_in_use && ec != service_errc::validation)
        ddb::detail::throw_operation_error(ec, std::move(r.diag));
    }
    const auto deadline = std::chrono::steady_clock::now() + index_wait;
    for (;;) {
      status = co_await index_status(c, t.table_name);
      if (status && *status == "ACTIVE") break;
      if (std::chrono::steady_clock::now() > deadline)
        fail_with(errc::operation_timeout, "index " + std::string(run_index) + " of table " + t.table_name +
                                               " did not become active within 5 minutes");
      co_await pause(std::chrono::milliseconds(200));
    }
    index_checked = true;
  }

  std::string pk_of(const std::string& user) const {
    auto v = memory_pk(user);
    if (!v) throw ddb::error(std::move(v).error());
    return std::move(*v);
  }
  std::int64_t expires_at(std::int64_t now_ms) const { return opt.keep ? now_ms / 1000 + opt.keep->count() : 0; }
  // A message key's last part: this instance's count of appends, then its
  // own random id (16 hex digits). Two appends of one instance in one
  // millisecond sort in append order; two processes' differ by the id.
  std::uint32_t instance = static_cast<std::uint32_t>(rng());
  std::uint32_t appends = 0;
  std::int64_t last_at = 0;
  std::string suffix() {
    static constexpr char hex[] = "0123456789abcdef";
    const std::uint64_t v = (static_cast<std::uint64_t>(appends++) << 32) | instance;
    std::string out(16, '0');
    for (int i = 0; i < 16; ++i) out[static_cast<std::size_t>(i)] = hex[(v >> (60 - 4 * i)) & 15];
    return out;
  }
  // Server time, never earlier than this instance's previous append (so its
  // own messages keep their order even if the clock is corrected backwards).
  std::int64_t append_time() {
    last_at = std::max(last_at, epoch_ms(c.server_time()));
    return last_at;
  }

  // The conversation's item, written on this process's first append to it
  // and again once a tenth of the TTL has passed (so it outlives its messages).
  asio::awaitable<void> keep_conversation(const std::string& pk_value, const std::string& conversation,
                                          std::int64_t now_ms) {
    const std::string key = pk_value + "\n" + conversation;
    const std::int64_t refresh_ms = opt.keep ? opt.keep->count() * 100 : std::numeric_limits<std::int64_t>::max();
    auto it = conversations_kept.find(key);
    if (it != conversations_kept.end() && now_ms - it->second < refresh_ms) co_return;
    update_item_request u;
    u.table_name = t.table_name;
    u.key = item{{pk, pk_value}, {sk, conversation_sk(conversation)}};
    u.expression_attribute_names = {{"#c", "created_ms"}};
    u.expression_attribute_values = item{{":now", now_ms}};
    u.update_expression = "SET #c = if_not_exists(#c, :now)";
    if (opt.keep) {
      u.update_expression = *u.update_expression + ", #t = :t";
      u.expression_attribute_names.insert_or_assign("#t", ttl_attribute);
      u.expression_attribute_values.insert_or_assign(":t", expires_at(now_ms));
    }
    (void)co_await c.update_item(u);
    if (conversations_kept.size() >= 10'000) conversations_kept.clear();
    conversations_kept.insert_or_assign(key, now_ms);
  }

  // The content of a stored message: from its item, or its parts.
  asio::awaitable<void> fill(const std::string& pk_value, stored_message& s, bool consistent) {
    std::string body = std::move(s.body);
    if (s.parts > 0) {
      const std::string prefix = part_prefix(s.m.id), what = "message " + s.m.id;
      const std::int64_t found = co_await append_parts(c, t.table_name, pk_value, prefix, consistent, what, body);
      if (found != s.parts)
        fail_with(errc::unexpected_json, "message " + s.m.id + " has " + std::to_string(found) + " of its " +
                                             std::to_string(s.parts) + " parts");
    }
    auto content = decode_body(body, s.m.compressed, s.size);
    if (!content) throw ddb::error(std::move(content).error());
    s.m.content = std::move(*content);
  }
};

memory::memory(client& c, table_options t) : memory(c, std::move(t), memory_options()) {}
memory::memory(client& c, table_options t, memory_options o) : impl_(std::make_unique<impl>(c, std::move(t), std::move(o))) {}
memory::~memory() = default;
memory::memory(memory&&) noexcept = default;
memory& memory::operator=(memory&&) noexcept = default;
asio::any_io_executor memory::executor() const { return impl_->c.get_executor(); }

asio::awaitable<appended> memory::append_impl(std::string user, std::string conversation, std::string role,
                                              std::string content, std::string run_id) {
  impl& s = *impl_;
  const std::string pk_value = s.pk_of(user);
  if (auto ok = check_conversation(conversation); !ok) throw ddb::error(std::move(ok).error());
  if (auto ok = check_message(role, content, run_id); !ok) throw ddb::error(std::move(ok).error());
  if (s.opt.keep && (*s.opt.keep < std::chrono::hours(24 * 7) || *s.opt.keep > std::chrono::hours(24 * 30)))
    fail_with(errc::invalid_config, "memory_options::keep must be 7 to 30 days (or none: kept until deleted)");
  const stored_body body = encode_body(content, s.opt.compress_above);
  if (body.data.size() > max_message)
    fail_with(errc::item_too_large, "a message of " + std::to_string(content.size()) + " bytes (" +
                                        std::to_string(body.data.size()) + " as stored) is over the " +
                                        std::to_string(max_message) +
                                        " that one transaction can write; store it elsewhere and append its address" +
                                        (s.opt.compress_above == 0 ? " (or set memory_options::compress_above)" : ""));
  co_await s.ready();
  const std::int64_t now = s.append_time();
  co_await s.keep_conversation(pk_value, conversation, now);
  appended out;
  out.at_ms = now;
  out.id = message_sk(conversation, now, s.suffix());
  out.stored_bytes = body.data.size();
  item it = message_item(pk_value, out.id, role, body, content.size(), run_id, now, s.expires_at(now));
  std::vector<item> parts = message_parts(pk_value, out.id, body, s.expires_at(now));
  out.items = 1 + static_cast<int>(parts.size());
  if (parts.empty()) {
    put_item_request p;
    p.table_name = s.t.table_name;
    p.item = std::move(it);
    p.condition_expression = "attribute_not_exists(#pk)";  // a new key, never an overwrite
    p.expression_attribute_names = {{"#pk", pk}};
    for (int tries = 0;; ++tries) {
      auto [ec, r] = co_await s.c.put_item(p, tuple_token);
      if (ec == service_errc::conditional_check_failed && tries < 3) {  // another instance's key: take a new one
        s.instance = static_cast<std::uint32_t>(s.rng());
        out.id = message_sk(conversation, now, s.suffix());
        p.item.insert_or_assign(sk, out.id);
        continue;
      }
      if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
      co_return out;
    }
  }
  transact_write_items_request tx;
  put_with_parts(tx, s.t.table_name, std::move(it), std::move(parts));
  auto [ec, r] = co_await s.c.transact_write_items(tx, tuple_token);
  if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
  co_return out;
}

asio::awaitable<message_page> memory::last_impl(std::string user, std::string conversation, read_options opt) {
  impl& s = *impl_;
  const std::string pk_value = s.pk_of(user);
  if (auto ok = check_conversation(conversation); !ok) throw ddb::error(std::move(ok).error());
  if (opt.limit == 0 || opt.limit > 1000) fail_with(errc::invalid_config, "read_options::limit must be 1 to 1,000");
  if (opt.before && opt.before->rfind(message_prefix(conversation), 0) != 0)
    fail_with(errc::invalid_cursor, "read_options::before is not a message id of conversation '" + conversation + "'");
  co_await s.ready();
  query_request q;
  q.table_name = s.t.table_name;
  q.key_condition_expression = "#pk = :pk AND begins_with(#sk, :p)";
  q.expression_attribute_names = {{"#pk", pk}, {"#sk", sk}};
  q.expression_attribute_values = item{{":pk", pk_value}, {":p", message_prefix(conversation)}};
  q.scan_index_forward = false;
  q.consistent_read = opt.consistent;
  if (opt.before) q.exclusive_start_key = item{{pk, pk_value}, {sk, *opt.before}};
  // DynamoDB ends a Query's page at 1 MB: a few messages near max_body fill
  // it. Keep reading until `limit` messages, the conversation's start, or
  // max_page_bytes of content (split messages reach 3.8 MB each: a page of
  // 1,000 could otherwise hold gigabytes); short pages carry `next`.
  message_page page;
  std::size_t bytes = 0;
  for (;;) {
    q.limit = static_cast<std::int64_t>(opt.limit - page.messages.size());
    auto r = co_await s.c.query(q);
    for (std::size_t i = 0; i < r.items.size(); ++i) {
      auto m = read_message(r.items[i]);
      if (!m) throw ddb::error(std::move(m).error());
      co_await s.fill(pk_value, *m, opt.consistent);
      bytes += m->m.content.size();
      page.messages.push_back(std::move(m->m));
      if (bytes >= max_page_bytes && (i + 1 < r.items.size() || !r.last_evaluated_key.empty())) {
        page.next = page.messages.back().id;
        co_return page;
      }
    }
    if (r.last_evaluated_key.empty()) break;
    if (page.messages.size() >= opt.limit) {
      page.next = page.messages.back().id;
      break;
    }
    q.exclusive_start_key = std::move(r.last_evaluated_key);
  }
  co_return page;
}

asio::awaitable<conversation_page> memory::conversations_impl(std::string user, std::string after, std::size_t limit) {
  impl& s = *impl_;
  const std::string pk_value = s.pk_of(user);
  if (limit == 0 || limit > 1000) fail_with(errc::invalid_config, "conversations takes 1 to 1,000 a page");
  co_await s.ready();
  query_request q;
  q.table_name = s.t.table_name;
  q.key_condition_expression = "#pk = :pk AND begins_with(#sk, :p)";
  q.expression_attribute_names = {{"#pk", pk}, {"#sk", sk}};
  q.expression_attribute_values = item{{":pk", pk_value}, {":p", "#conv#"}};
  q.consistent_read = true;
  q.limit = static_cast<std::int64_t>(limit);
  if (!after.empty()) q.exclusive_start_key = item{{pk, pk_value}, {sk, conversation_sk(after)}};
  auto r = co_await s.c.query(q);
  conversation_page page;
  for (const item& it : r.items) {
    conversation_info info;
    const value* key = it.find(sk);
    if (!key || !key->get_if<std::string>()) fail_with(errc::unexpected_json, "a conversation item has no sort key");
    info.conversation = key->get_if<std::string>()->substr(6);
    auto created = integer_at(it, "created_ms");
    if (!created) throw ddb::error(std::move(created).error());
    info.created_ms = *created;
    page.conversations.push_back(std::move(info));
  }
  if (!r.last_evaluated_key.empty() && !page.conversations.empty()) page.next = page.conversations.back().conversation;
  co_return page;
}

asio::awaitable<message_page> memory::run_messages_impl(std::string run_id) {
  impl& s = *impl_;
  if (run_id.empty() || run_id.size() > max_run_id)
    fail_with(errc::invalid_config, "a run id is 1 to " + std::to_string(max_run_id) + " bytes");
  co_await s.ready();
  query_request q;
  q.table_name = s.t.table_name;
  q.index_name = run_index;
  q.key_condition_expression = "#r = :r";
  q.expression_attribute_names = {{"#r", "run_id"}};
  q.expression_attribute_values = item{{":r", run_id}};
  std::vector<item> keys;
  for (;;) {
    auto page = co_await s.c.query(q);
    for (item& k : page.items) keys.push_back(item{{pk, *k.find(pk)}, {sk, *k.find(sk)}});
    if (page.last_evaluated_key.empty()) break;
    q.exclusive_start_key = std::move(page.last_evaluated_key);
  }
  message_page out;
  if (keys.empty()) co_return out;
  std::map<std::string, keys_and_attributes> reads;
  reads[s.t.table_name].keys = std::move(keys);
  batch_get_outcome got = co_await batch_get(s.c, std::move(reads));
  if (!got.ok()) fail_with(errc::unprocessed, "some of run " + run_id + "'s messages could not be read (BatchGetItem)");
  for (const item& it : got.items[s.t.table_name]) {
    auto m = read_message(it);
    if (!m) throw ddb::error(std::move(m).error());
    const value* owner = it.find(pk);
    co_await s.fill(*owner->get_if<std::string>(), *m, false);
    out.messages.push_back(std::move(m->m));
  }
  std::sort(out.messages.begin(), out.messages.end(),
            [](const message& a, const message& b) { return a.at_ms != b.at_ms ? a.at_ms < b.at_ms : a.id < b.id; });
  co_return out;
}

asio::awaitable<appended> memory::summarize_impl(std::string user, std::string conversation, std::string first_id,
                                                 std::string last_id, std::string summary) {
  impl& s = *impl_;
  const std::string pk_value = s.pk_of(user);
  if (auto ok = check_conversation(conversation); !ok) throw ddb::error(std::move(ok).error());
  if (auto ok = check_range(conversation, first_id, last_id); !ok) throw ddb::error(std::move(ok).error());
  if (auto ok = check_message("summary", summary, ""); !ok) throw ddb::error(std::move(ok).error());
  const stored_body body = encode_body(summary, s.opt.compress_above);
  if (body.data.size() > max_body)
    fail_with(errc::item_too_large, "a summary must fit one item (" + std::to_string(max_body) + " bytes as stored)");
  co_await s.ready();
  // The messages in the range, as they are now (consistent).
  query_request q;
  q.table_name = s.t.table_name;
  q.key_condition_expression = "#pk = :pk AND #sk BETWEEN :a AND :b";
  q.expression_attribute_names = {{"#pk", pk}, {"#sk", sk}, {"#n", "parts"}};
  q.expression_attribute_values = item{{":pk", pk_value}, {":a", first_id}, {":b", last_id}};
  q.projection_expression = "#pk, #sk, #n";
  q.consistent_read = true;
  transact_write_items_request tx;
  for (;;) {
    auto page = co_await s.c.query(q);
    for (const item& it : page.items) {
      const std::string id = *it.find(sk)->get_if<std::string>();
      const std::int64_t parts = parts_of(it);
      transact_write_item del;
      del.delete_ = transact_delete{.key = item{{pk, pk_value}, {sk, id}},
                                    .table_name = s.t.table_name,
                                    .condition_expression = "attribute_exists(#pk)",
                                    .expression_attribute_names = {{"#pk", pk}}};
      tx.transact_items.push_back(std::move(del));
      for (std::int64_t i = 0; i < parts; ++i) {
        transact_write_item dp;
        dp.delete_ = transact_delete{.key = item{{pk, pk_value}, {sk, part_sk(id, static_cast<std::size_t>(i))}},
                                     .table_name = s.t.table_name};
        tx.transact_items.push_back(std::move(dp));
      }
    }
    if (tx.transact_items.size() > 99)
      fail_with(errc::too_many_actions, "summarize replaces at most 98 messages (99 items with their parts) in one "
                                        "transaction; summarize a shorter range");
    if (page.last_evaluated_key.empty()) break;
    q.exclusive_start_key = std::move(page.last_evaluated_key);
  }
  if (tx.transact_items.empty())
    fail_with(errc::invalid_config, "conversation '" + conversation + "' has no messages from " + first_id + " to " + last_id);
  const std::int64_t now = epoch_ms(s.c.server_time());
  appended out;
  out.id = summary_sk(last_id);
  out.at_ms = now;
  out.stored_bytes = body.data.size();
  out.items = 1;
  transact_write_item put;
  put.put = transact_put{.item = message_item(pk_value, out.id, "summary", body, summary.size(), "", now, s.expires_at(now)),
                         .table_name = s.t.table_name,
                         .condition_expression = "attribute_not_exists(#pk)",
                         .expression_attribute_names = {{"#pk", pk}}};
  tx.transact_items.push_back(std::move(put));
  auto [ec, r] = co_await s.c.transact_write_items(tx, tuple_token);
  if (ec == service_errc::transaction_canceled && r.diag.condition_failed())
    fail_with(errc::write_conflict, "another summary replaced some of these messages of conversation '" + conversation +
                                        "' first; nothing was changed (read the conversation again)");
  if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
  co_return out;
}

asio::awaitable<removed> memory::remove_impl(std::string user, std::string conversation) {
  impl& s = *impl_;
  const std::string pk_value = s.pk_of(user);
  if (auto ok = check_conversation(conversation); !ok) throw ddb::error(std::move(ok).error());
  co_await s.ready();
  std::vector<write_request> deletes;
  auto collect = [&](const std::string& prefix) -> asio::awaitable<void> {
    query_request q;
    q.table_name = s.t.table_name;
    q.key_condition_expression = "#pk = :pk AND begins_with(#sk, :p)";
    q.expression_attribute_names = {{"#pk", pk}, {"#sk", sk}, {"#n", "parts"}};
    q.expression_attribute_values = item{{":pk", pk_value}, {":p", prefix}};
    q.projection_expression = "#pk, #sk, #n";
    q.consistent_read = true;
    for (;;) {
      auto page = co_await s.c.query(q);
      for (const item& it : page.items) {
        const std::string id = *it.find(sk)->get_if<std::string>();
        const std::int64_t parts = parts_of(it);
        deletes.push_back(write_request{.delete_request = delete_request{.key = item{{pk, pk_value}, {sk, id}}}});
        for (std::int64_t i = 0; i < parts; ++i)
          deletes.push_back(write_request{
              .delete_request = delete_request{.key = item{{pk, pk_value}, {sk, part_sk(id, static_cast<std::size_t>(i))}}}});
      }
      if (page.last_evaluated_key.empty()) break;
      q.exclusive_start_key = std::move(page.last_evaluated_key);
    }
  };
  const std::string messages = message_prefix(conversation);  // named: not a temporary inside co_await (GCC 12)
  co_await collect(messages);
  deletes.push_back(write_request{.delete_request = delete_request{.key = item{{pk, pk_value}, {sk, conversation_sk(conversation)}}}});
  removed out;
  out.items = deletes.size();
  std::map<std::string, std::vector<write_request>> writes;
  writes[s.t.table_name] = std::move(deletes);
  batch_write_outcome w = co_await batch_write(s.c, std::move(writes));
  if (!w.ok()) fail_with(errc::unprocessed, "some items of conversation '" + conversation + "' could not be deleted");
  s.conversations_kept.erase(pk_value + "\n" + conversation);
  co_return out;
}

}  // namespace ddb::agent
