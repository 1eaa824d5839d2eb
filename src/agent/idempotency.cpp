// Idempotency keys against DynamoDB: the protocol of ddb/agent/idempotency.hpp,
// its decisions taken by src/agent/protocol.cpp.
#include "ddb/agent/idempotency.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>


#include "agent/common.hpp"
#include "agent/once.hpp"
#include "agent/protocol.hpp"

namespace ddb::agent {

namespace asio = boost::asio;
using namespace detail;
using std::chrono::milliseconds;

namespace {

// Every attribute the protocol names goes through a placeholder ("status"
// and "owner" are reserved words).
const std::map<std::string, std::string> names = {
    {"#s", "status"}, {"#o", "owner"}, {"#e", "expires_ms"}, {"#t", "expires_at"},
    {"#r", "result"}, {"#c", "chunks"}, {"#x", "error"},     {"#pk", "pk"}, {"#d", "completed_ms"}};

item record_key(const record_location& at) { return item{{pk, at.pk_value}, {sk, at.sk_value}}; }

}  // namespace

// The protocol, for any record location: idempotency keys and ledger steps.
struct once_engine {
  client& c;
  const table_options& t;

  asio::awaitable<std::optional<item>> read(const record_location& at) {
    get_item_request g;
    g.table_name = t.table_name;
    g.key = record_key(at);
    g.consistent_read = true;
    auto r = co_await c.get_item(g);
    if (r.item.empty()) co_return std::nullopt;
    co_return std::move(r.item);
  }

  // The result of a completed record: in it, or in its chunk items.
  asio::awaitable<std::string> load_result(const record_location& at, const idem_record& rec) {
    if (rec.result) co_return *rec.result;
    query_request q;
    q.table_name = t.table_name;
    q.key_condition_expression = "#pk = :pk AND begins_with(sk, :chunk)";
    q.expression_attribute_names = {{"#pk", "pk"}};
    q.expression_attribute_values = item{{":pk", at.pk_value}, {":chunk", chunk_prefix(at.sk_value)}};
    q.consistent_read = true;
    std::string out;
    std::int64_t found = 0;
    for (;;) {
      auto page = co_await c.query(q);
      for (const item& it : page.items) {
        const value* o = it.find("owner");
        const value* d = it.find("data");
        if (!o || o->get_if<std::string>() == nullptr || *o->get_if<std::string>() != rec.owner) continue;  // another run's
        if (found >= rec.chunks) break;
        if (!d || !d->get_if<bytes>()) fail_with(errc::unexpected_json, "a result chunk of " + at.pk_value + " has no data");
        const bytes& b = *d->get_if<bytes>();
        out.append(b.begin(), b.end());
        ++found;
      }
      if (page.last_evaluated_key.empty() || found >= rec.chunks) break;
      q.exclusive_start_key = std::move(page.last_evaluated_key);
    }
    if (found != rec.chunks)
      fail_with(errc::unexpected_json, "the result of " + at.pk_value + " " + at.sk_value + " has " + std::to_string(found) + " of its " +
                                           std::to_string(rec.chunks) + " chunks");
    co_return out;
  }

  // A completed record's answer (results are built in named variables, not
  // in a co_return expression: GCC 12, see the README).
  asio::awaitable<once_result> replay(const record_location& at, const idem_record& rec) {
    once_result out;
    out.value = co_await load_result(at, rec);
    out.replayed = true;
    co_return out;
  }

  // Ends our claim: deletes it, or records the failure. Best effort: a claim
  // that cannot be released lapses at its in-progress expiry.
  asio::awaitable<void> release(const record_location& at, const std::string& owner, const run_options& opt,
                                const std::string& error) {
    if (opt.record_failures) {
      update_item_request u = completion(at, owner, opt);
      u.update_expression = "SET #s = :f, #x = :x, #e = :e, #t = :t";
      u.expression_attribute_values.insert_or_assign(":f", std::string(failed));
      u.expression_attribute_values.insert_or_assign(":x", error);
      prune_names(u);
      (void)co_await c.update_item(u, tuple_token);
    } else {
      delete_item_request d;
      d.table_name = t.table_name;
      d.key = record_key(at);
      d.condition_expression = "#o = :me AND #s = :ip";
      d.expression_attribute_names = {{"#o", "owner"}, {"#s", "status"}};
      d.expression_attribute_values = item{{":me", owner}, {":ip", std::string(in_progress)}};
      (void)co_await c.delete_item(d, tuple_token);
    }
  }

  // The update that ends a claim, on condition that it is still ours.
  update_item_request completion(const record_location& at, const std::string& owner, const run_options& opt) {
    const std::int64_t until = epoch_ms(c.server_time()) + std::chrono::duration_cast<milliseconds>(opt.expire).count();
    update_item_request u;
    u.table_name = t.table_name;
    u.key = record_key(at);
    u.condition_expression = "#o = :me AND #s = :ip";
    u.expression_attribute_names = names;
    u.expression_attribute_values =
        item{{":me", owner}, {":ip", std::string(in_progress)}, {":e", until}, {":t", until / 1000 + 1}};
    return u;  // the caller adds its update, then prune_names (DynamoDB refuses unused names)
  }

  asio::awaitable<void> complete(const std::string& key, const record_location& at, const std::string& owner,
                                 const std::string& result, const run_options& opt) {
    auto lost = [&] {
      fail_with(errc::ownership_lost,
                "the claim on " + key + " outlasted its in-progress window (" +
                    std::to_string(opt.in_progress.count()) +
                    " ms) and another caller took it over: this run's result was not recorded "
                    "(raise run_options::in_progress above the function's longest run)");
    };
    if (result.size() > max_result_bytes) {
      // fn has run: record that, so no caller runs it again.
      std::string why = "the result of " + key + " (" + std::to_string(result.size()) + " bytes) is over the " +
                        std::to_string(max_result_bytes) + " bytes one transaction can write";
      run_options as_failure = opt;
      as_failure.record_failures = true;
      co_await release(at, owner, as_failure, why);
      fail_with(errc::result_too_large, why + "; the run is recorded as failed (store large results elsewhere, "
                                              "e.g. S3, and return their address)");
    }
    const auto parts = split_result(result);
    update_item_request u = completion(at, owner, opt);
    u.expression_attribute_values.insert_or_assign(":c", std::string(completed));
    u.expression_attribute_values.insert_or_assign(":d", epoch_ms(c.server_time()));
    if (parts.size() == 1) {
      u.update_expression = "SET #s = :c, #r = :r, #e = :e, #t = :t, #d = :d REMOVE #c";
      u.expression_attribute_values.insert_or_assign(":r", bytes(result.begin(), result.end()));
      prune_names(u);
      auto [ec, r] = co_await c.update_item(u, tuple_token);
      if (ec == service_errc::conditional_check_failed) lost();
      if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
      co_return;
    }
    // A large result: chunks and the completion in one transaction.
    u.update_expression = "SET #s = :c, #c = :n, #e = :e, #t = :t, #d = :d REMOVE #r";
    u.expression_attribute_values.insert_or_assign(":n", static_cast<std::int64_t>(parts.size()));
    prune_names(u);
    transact_write_items_request tw;
    transact_write_item up;
    up.update = transact_update{.key = u.key,
                                .update_expression = *u.update_expression,
                                .table_name = t.table_name,
                                .condition_expression = u.condition_expression,
                                .expression_attribute_names = u.expression_attribute_names,
                                .expression_attribute_values = u.expression_attribute_values};
    tw.transact_items.push_back(std::move(up));
    const value ttl = *u.expression_attribute_values.find(":t");
    for (std::size_t i = 0; i < parts.size(); ++i) {
      transact_write_item w;
      w.put = transact_put{.item = item{{pk, at.pk_value},
                                        {sk, chunk_sk(at.sk_value, i)},
                                        {"owner", owner},
                                        {"data", bytes(parts[i].begin(), parts[i].end())},
                                        {ttl_attribute, ttl}},
                           .table_name = t.table_name};
      tw.transact_items.push_back(std::move(w));
    }
    auto [ec, r] = co_await c.transact_write_items(tw, tuple_token);
    if (ec == service_errc::transaction_canceled && r.diag.first_failed_action() == std::size_t{0} &&
        r.diag.condition_failed())
      lost();
    if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
  }

  // Keeps only the placeholder names an update's expressions use.
  static void prune_names(update_item_request& u) {
    std::map<std::string, std::string> used;
    for (const auto& [k, v] : u.expression_attribute_names) {
      const bool in_update = u.update_expression && u.update_expression->find(k) != std::string::npos;
      const bool in_condition = u.condition_expression && u.condition_expression->find(k) != std::string::npos;
      if (in_update || in_condition) used.emplace(k, v);
    }
    u.expression_attribute_names = std::move(used);
  }
};

struct idempotency::impl : detail::checked_table {};

idempotency::idempotency(client& c, table_options t) : impl_(std::make_unique<impl>(impl{{c, std::move(t)}})) {}
idempotency::~idempotency() = default;
idempotency::idempotency(idempotency&&) noexcept = default;
idempotency& idempotency::operator=(idempotency&&) noexcept = default;

asio::any_io_executor idempotency::executor() const { return impl_->c.get_executor(); }

asio::awaitable<once_result> run_once(client& c, const table_options& t, record_location at, std::string key,
                                      idempotency::function fn, run_options opt, std::optional<std::string> args) {
  once_engine s{c, t};
  if (opt.in_progress <= milliseconds(0))
    fail_with(errc::invalid_config, "run_options::in_progress must be positive: a claim without an end would hold the "
                                    "key forever if its caller died");
  if (opt.expire <= std::chrono::seconds(0))
    fail_with(errc::invalid_config, "run_options::expire must be positive (how long a result is replayed)");
  if (opt.wait < milliseconds(0)) fail_with(errc::invalid_config, "run_options::wait must not be negative");
  if (!fn) fail_with(errc::invalid_config, "idempotency::run needs a function to run");
  const std::optional<std::string> hash = opt.payload ? std::optional(payload_hash(*opt.payload)) : std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + opt.wait;
  if (opt.read_first) {
    // 0. A completed record answers with one eventually consistent read (half
    // a read unit up to 4 KB). Anything else, or a read that missed a recent
    // completion, goes on to the claim, whose condition decides.
    get_item_request g;
    g.table_name = s.t.table_name;
    g.key = record_key(at);
    get_item_response seen = co_await s.c.get_item(g);
    if (!seen.item.empty()) {
      auto rec = read_record(seen.item);
      if (rec && rec->status == completed && decide(*rec, epoch_ms(s.c.server_time()), hash) == on_existing::replay) {
        once_result replayed = co_await s.replay(at, *rec);
        co_return replayed;
      }
    }
  }
  int polls = 0;
  for (;;) {
    // 1. Claim.
    const std::string owner = new_owner_token();
    const std::int64_t now = epoch_ms(s.c.server_time());
    put_item_request put;
    put.table_name = s.t.table_name;
    put.item = claim_item(at, owner, now, opt.in_progress.count(), hash, args);
    put.condition_expression = "attribute_not_exists(#pk) OR #e < :now";
    put.expression_attribute_names = {{"#pk", "pk"}, {"#e", "expires_ms"}};
    put.expression_attribute_values = item{{":now", now}};
    put.return_values_on_condition_check_failure = ddb::return_values_on_condition_check_failure::all_old;
    auto [ec, resp] = co_await s.c.put_item(put, tuple_token);
    if (!ec) {
      // 2. Ours: run fn, then complete (or release) on condition of our token.
      std::exception_ptr failure;
      std::string value;
      try {
        value = co_await fn();
      } catch (...) {
        failure = std::current_exception();
      }
      if (failure) {
        const std::string why = what_of(failure);
        co_await s.release(at, owner, opt, why);
        std::rethrow_exception(failure);
      }
      co_await s.complete(key, at, owner, value, opt);
      // Results are built in named variables, never in the co_return or
      // co_await expression itself (GCC 12: see the README).
      once_result ran;
      ran.value = std::move(value);
      co_return ran;
    }
    if (ec != service_errc::conditional_check_failed) ddb::detail::throw_operation_error(ec, std::move(resp.diag));
    // 3. Someone's record is there (in the refusal, or read when the
    // endpoint does not return it).
    std::optional<item> existing = std::move(resp.diag.item);
    if (!existing) existing = co_await s.read(at);
    while (existing) {
      auto rec = read_record(*existing);
      if (!rec) throw ddb::error(std::move(rec).error());
      const on_existing next = decide(*rec, epoch_ms(s.c.server_time()), hash);
      if (next == on_existing::claim_again) break;
      if (next == on_existing::replay) {
        once_result replayed = co_await s.replay(at, *rec);
        co_return replayed;
      }
      if (next == on_existing::replay_failure)
        fail_with(errc::recorded_failure, "the first run of " + key + " failed and was recorded: " +
                                              rec->error);
      if (next == on_existing::mismatch)
        fail_with(errc::payload_mismatch, key + " was first used with another payload (its SHA-256 differs): use a "
                                              "new key for a new request (a ledger: the agent loop did not replay the "
                                              "same call)");
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left <= milliseconds(0))
        fail_with(errc::already_in_progress,
                  key + " is being run by another caller (its claim lapses in " +
                      std::to_string(std::max<std::int64_t>(0, rec->expires_ms - epoch_ms(s.c.server_time()))) + " ms)" +
                      (opt.wait.count() > 0 ? "; waited " + std::to_string(opt.wait.count()) + " ms for its result"
                                            : "; retry later, or wait for its result with run_options::wait"));
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(poll_delay(polls++, left));
      co_await timer.async_wait(asio::use_awaitable);
      existing = co_await s.read(at);
    }
  }
}

asio::awaitable<once_result> idempotency::run_impl(std::string key, function fn, run_options opt) {
  impl& s = *impl_;
  auto pk_value = idempotency_pk(key);
  if (!pk_value) throw ddb::error(std::move(pk_value).error());
  co_await s.ensure();
  // Arguments named first: no temporaries in the co_await (GCC 12, README).
  record_location at{*pk_value, "#"};
  std::string label = "idempotency key '" + key + "'";
  once_result r = co_await run_once(s.c, s.t, std::move(at), std::move(label), std::move(fn), std::move(opt), std::nullopt);
  co_return r;
}

}  // namespace ddb::agent
