// Run checkpoints against DynamoDB: the protocol of ddb/agent/checkpoint.hpp,
// its items built and read by src/agent/checkpoint_layout.cpp.
#include "ddb/agent/checkpoint.hpp"

#include "agent/checkpoint_layout.hpp"
#include "agent/common.hpp"
#include "agent/protocol.hpp"
#include "ddb/model/data.hpp"

namespace ddb::agent {

namespace asio = boost::asio;
using namespace detail;

struct checkpoints::impl : detail::checked_table {
  impl(client& cl, table_options t, checkpoint_options o) : checked_table{cl, std::move(t)}, opt(o) {}
  checkpoint_options opt;

  std::string pk_of(const std::string& thread) const {
    auto pk_value = checkpoint_pk(thread);
    if (!pk_value) throw ddb::error(std::move(pk_value).error());
    return std::move(*pk_value);
  }

  // A large payload's parts, checked against the count and hash its
  // checkpoint item recorded.
  asio::awaitable<void> read_parts(const std::string& pk_value, stored_checkpoint& s) {
    s.cp.payload.reserve(s.cp.payload_size);
    const std::string prefix = part_prefix(s.cp.id), what = "checkpoint " + std::to_string(s.cp.id);
    const std::int64_t found = co_await append_parts(c, t.table_name, pk_value, prefix, true, what, s.cp.payload);
    if (found != s.parts || s.cp.payload.size() != s.cp.payload_size || payload_hash(s.cp.payload) != s.hash)
      fail_with(errc::unexpected_json, "checkpoint " + std::to_string(s.cp.id) + " of thread '" + s.cp.thread +
                                           "' has " + std::to_string(found) + " of its " + std::to_string(s.parts) +
                                           " parts or a payload that does not match its hash");
  }
};

checkpoints::checkpoints(client& c, table_options t) : checkpoints(c, std::move(t), checkpoint_options()) {}
checkpoints::checkpoints(client& c, table_options t, checkpoint_options o)
    : impl_(std::make_unique<impl>(c, std::move(t), o)) {}
checkpoints::~checkpoints() = default;
checkpoints::checkpoints(checkpoints&&) noexcept = default;
checkpoints& checkpoints::operator=(checkpoints&&) noexcept = default;
asio::any_io_executor checkpoints::executor() const { return impl_->c.get_executor(); }

asio::awaitable<saved> checkpoints::save_impl(std::string thread, std::int64_t parent, std::string payload,
                                              std::string metadata) {
  impl& s = *impl_;
  if (auto ok = check_save(thread, parent, payload, metadata); !ok) throw ddb::error(std::move(ok).error());
  if (s.opt.expire && s.opt.expire->count() <= 0)
    fail_with(errc::invalid_config, "checkpoint_options::expire must be positive (or none: kept until deleted)");
  const std::string pk_value = s.pk_of(thread);
  co_await s.ensure();
  const std::int64_t id = parent + 1;
  const std::int64_t now = epoch_ms(s.c.server_time());
  const std::int64_t expires_at = s.opt.expire ? now / 1000 + s.opt.expire->count() : 0;
  item meta = checkpoint_item(pk_value, id, parent, now, payload, metadata, expires_at);
  std::vector<item> parts = part_items(pk_value, id, payload, expires_at);
  const std::string forked = "thread '" + thread + "' has a checkpoint " + std::to_string(id) +
                             " already: another writer saved on checkpoint " + std::to_string(parent) +
                             " first (the thread would fork); load the latest and continue from it";
  saved out;
  out.id = id;
  if (parent == 0 && parts.empty()) {  // one conditional PutItem
    put_item_request p;
    p.table_name = s.t.table_name;
    p.item = std::move(meta);
    p.condition_expression = "attribute_not_exists(#pk)";
    p.expression_attribute_names = {{"#pk", pk}};
    auto [ec, r] = co_await s.c.put_item(p, tuple_token);
    if (ec == service_errc::conditional_check_failed) fail_with(errc::checkpoint_conflict, forked);
    if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
    co_return out;
  }
  // The parent exists, the id is free, the parts: all or nothing.
  transact_write_items_request tx;
  if (parent > 0) {
    transact_write_item check;
    check.condition_check = transact_condition_check{.key = item{{pk, pk_value}, {sk, checkpoint_sk(parent)}},
                                                     .table_name = s.t.table_name,
                                                     .condition_expression = "attribute_exists(#pk)",
                                                     .expression_attribute_names = {{"#pk", pk}}};
    tx.transact_items.push_back(std::move(check));
  }
  put_with_parts(tx, s.t.table_name, std::move(meta), std::move(parts));
  auto [ec, r] = co_await s.c.transact_write_items(tx, tuple_token);
  if (ec == service_errc::transaction_canceled && r.diag.condition_failed()) {
    const auto& reasons = r.diag.cancellation_reasons;
    if (parent > 0 && !reasons.empty() && reasons[0].code == "ConditionalCheckFailed")
      fail_with(errc::invalid_config, "thread '" + thread + "' has no checkpoint " + std::to_string(parent) +
                                          " to continue from (save with 0 for a first checkpoint, or with the id "
                                          "latest() returns)");
    fail_with(errc::checkpoint_conflict, forked);
  }
  if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
  co_return out;
}

asio::awaitable<std::optional<checkpoint>> checkpoints::load_impl(std::string thread, std::int64_t id) {
  impl& s = *impl_;
  const std::string pk_value = s.pk_of(thread);
  if (id < 0) fail_with(errc::invalid_config, "a checkpoint id is 1 or more; got " + std::to_string(id));
  co_await s.ensure();
  item found;
  if (id == 0) {  // the newest: the last "cp#" key
    query_request q;
    q.table_name = s.t.table_name;
    q.key_condition_expression = "#pk = :pk AND begins_with(#sk, :cp)";
    q.expression_attribute_names = {{"#pk", pk}, {"#sk", sk}};
    q.expression_attribute_values = item{{":pk", pk_value}, {":cp", "cp#"}};
    q.scan_index_forward = false;
    q.limit = 1;
    q.consistent_read = true;
    auto r = co_await s.c.query(q);
    if (r.items.empty()) co_return std::nullopt;
    found = std::move(r.items.front());
  } else {
    get_item_request g;
    g.table_name = s.t.table_name;
    g.key = item{{pk, pk_value}, {sk, checkpoint_sk(id)}};
    g.consistent_read = true;
    auto r = co_await s.c.get_item(g);
    if (r.item.empty()) co_return std::nullopt;
    found = std::move(r.item);
  }
  auto stored = read_checkpoint(found, thread, true);
  if (!stored) throw ddb::error(std::move(stored).error());
  if (stored->parts > 0) co_await s.read_parts(pk_value, *stored);
  std::optional<checkpoint> out(std::move(stored->cp));
  co_return out;
}

asio::awaitable<checkpoint_page> checkpoints::list_impl(std::string thread, std::int64_t before, std::size_t limit) {
  impl& s = *impl_;
  const std::string pk_value = s.pk_of(thread);
  if (limit == 0 || limit > 1000) fail_with(errc::invalid_config, "list takes 1 to 1,000 checkpoints a page");
  if (before < 0) fail_with(errc::invalid_config, "`before` is a checkpoint id, or 0 for the newest");
  co_await s.ensure();
  checkpoint_page page;
  if (before == 1) co_return page;  // nothing is older than the first
  query_request q;
  q.table_name = s.t.table_name;
  q.key_condition_expression = "#pk = :pk AND #sk BETWEEN :lo AND :hi";
  q.expression_attribute_names = {{"#pk", pk},        {"#sk", sk},          {"#id", "id"},
                                  {"#par", "parent"}, {"#at", "created_ms"}, {"#size", "size"},
                                  {"#meta", "metadata"}};
  q.expression_attribute_values =
      item{{":pk", pk_value}, {":lo", "cp#"}, {":hi", before == 0 ? std::string("cp#9999999999999999999") : checkpoint_sk(before - 1)}};
  q.projection_expression = "#id, #par, #at, #size, #meta";
  q.scan_index_forward = false;
  q.consistent_read = true;
  q.limit = static_cast<std::int64_t>(limit) + 1;  // one more tells whether a next page exists
  for (;;) {
    auto r = co_await s.c.query(q);
    for (const item& it : r.items) {
      auto stored = read_checkpoint(it, thread, false);
      if (!stored) throw ddb::error(std::move(stored).error());
      if (page.checkpoints.size() == limit) {
        page.next = page.checkpoints.back().id;
        co_return page;
      }
      page.checkpoints.push_back(std::move(stored->cp));
    }
    if (r.last_evaluated_key.empty()) co_return page;
    q.exclusive_start_key = std::move(r.last_evaluated_key);
  }
}

}  // namespace ddb::agent
