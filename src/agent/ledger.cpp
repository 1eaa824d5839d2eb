// The tool-call ledger: runs with a versioned status, steps recorded by the
// at-most-once engine (src/agent/idempotency.cpp) under the run's partition.
#include "ddb/agent/ledger.hpp"

#include <boost/asio/as_tuple.hpp>

#include "agent/common.hpp"
#include "agent/once.hpp"
#include "agent/protocol.hpp"

namespace ddb::agent {

namespace asio = boost::asio;
using namespace detail;

namespace {

std::string checked_run_pk(const std::string& run) {
  auto pk_value = run_pk(run);
  if (!pk_value) throw ddb::error(std::move(pk_value).error());
  return *pk_value;
}

std::int64_t integer(const item& it, const char* name) {
  auto i = integer_at(it, name);
  if (!i) throw ddb::error(std::move(i).error());
  return *i;
}

run_status status_from(std::string_view s) {
  if (s == "running") return run_status::running;
  if (s == "succeeded") return run_status::succeeded;
  if (s == "failed") return run_status::failed;
  if (s == "cancelled") return run_status::cancelled;
  fail_with(errc::unexpected_json, "the run item has an unknown status '" + std::string(s) + "'");
}

run_info run_from(const std::string& run, const item& it) {
  run_info r;
  r.run = run;
  const value* s = it.find("status");
  if (!s || !s->get_if<std::string>()) fail_with(errc::unexpected_json, "the run item of '" + run + "' has no status");
  r.status = status_from(*s->get_if<std::string>());
  r.version = integer(it, "version");
  r.created_ms = integer(it, "created_ms");
  r.updated_ms = integer(it, "updated_ms");
  return r;
}

}  // namespace

const char* to_string(run_status s) noexcept {
  switch (s) {
    case run_status::running: return "running";
    case run_status::succeeded: return "succeeded";
    case run_status::failed: return "failed";
    case run_status::cancelled: return "cancelled";
  }
  return "unknown";
}

struct ledger::impl : detail::checked_table {};

ledger::ledger(client& c, table_options t) : impl_(std::make_unique<impl>(impl{{c, std::move(t)}})) {}
ledger::~ledger() = default;
ledger::ledger(ledger&&) noexcept = default;
ledger& ledger::operator=(ledger&&) noexcept = default;
asio::any_io_executor ledger::executor() const { return impl_->c.get_executor(); }

asio::awaitable<void> ledger::check_table() { co_await impl_->ensure(); }

asio::awaitable<run_info> ledger::start_impl(std::string run) {
  impl& s = *impl_;
  const std::string pk_value = checked_run_pk(run);
  co_await check_table();
  const std::int64_t now = epoch_ms(s.c.server_time());
  put_item_request put;
  put.table_name = s.t.table_name;
  put.item = item{{pk, pk_value}, {sk, "#"}, {"status", "running"}, {"version", 1}, {"created_ms", now}, {"updated_ms", now}};
  put.condition_expression = "attribute_not_exists(#pk)";
  put.expression_attribute_names = {{"#pk", "pk"}};
  put.return_values_on_condition_check_failure = ddb::return_values_on_condition_check_failure::all_old;
  auto [ec, r] = co_await s.c.put_item(put, tuple_token);
  if (!ec) {
    run_info created = run_from(run, put.item);
    created.created = true;
    co_return created;
  }
  if (ec != service_errc::conditional_check_failed) ddb::detail::throw_operation_error(ec, std::move(r.diag));
  if (r.diag.item) {
    run_info existing = run_from(run, *r.diag.item);
    co_return existing;
  }
  run_info existing = co_await get_impl(run);
  co_return existing;
}

asio::awaitable<run_info> ledger::get_impl(std::string run) {
  impl& s = *impl_;
  const std::string pk_value = checked_run_pk(run);
  co_await check_table();
  get_item_request g;
  g.table_name = s.t.table_name;
  g.key = item{{pk, pk_value}, {sk, "#"}};
  g.consistent_read = true;
  get_item_response r = co_await s.c.get_item(g);
  if (r.item.empty()) fail_with(errc::invalid_config, "run '" + run + "' does not exist: start it with ledger::start");
  run_info out = run_from(run, r.item);
  co_return out;
}

asio::awaitable<once_result> ledger::call_impl(std::string run, std::int64_t step, std::string args,
                                               idempotency::function fn, run_options opt) {
  impl& s = *impl_;
  const std::string pk_value = checked_run_pk(run);
  auto sk_value = step_sk(step);
  if (!sk_value) throw ddb::error(std::move(sk_value).error());
  co_await check_table();
  opt.payload = args;  // a replay must make the same call
  record_location at{pk_value, *sk_value};
  std::string label = "step " + std::to_string(step) + " of run '" + run + "'";
  std::optional<std::string> stored_args = std::move(args);
  once_result r = co_await run_once(s.c, s.t, std::move(at), std::move(label), std::move(fn), std::move(opt),
                                    std::move(stored_args));
  co_return r;
}

asio::awaitable<step_page> ledger::list_impl(std::string run, std::int64_t from, std::size_t limit) {
  impl& s = *impl_;
  const std::string pk_value = checked_run_pk(run);
  auto first = step_sk(from);
  if (!first) throw ddb::error(std::move(first).error());
  if (limit == 0 || limit > 1000) fail_with(errc::invalid_config, "list takes 1 to 1,000 steps a page");
  co_await check_table();
  query_request q;
  q.table_name = s.t.table_name;
  q.key_condition_expression = "#pk = :pk AND #sk BETWEEN :from AND :last";
  q.expression_attribute_names = {{"#pk", "pk"}, {"#sk", "sk"}};
  q.expression_attribute_values = item{{":pk", pk_value}, {":from", *first}, {":last", "step#9999999999999999999"}};
  q.consistent_read = true;
  q.limit = static_cast<std::int64_t>(limit) + 1;  // one more tells whether a next page exists
  step_page page;
  for (;;) {
    query_response r = co_await s.c.query(q);
    for (const item& it : r.items) {
      const value* skv = it.find(sk);
      const std::optional<std::int64_t> n = skv && skv->get_if<std::string>() ? step_of(*skv->get_if<std::string>())
                                                                                 : std::nullopt;
      if (!n) continue;
      if (page.steps.size() == limit) {
        page.next = *n;
        co_return page;
      }
      auto rec = read_record(it);
      if (!rec) throw ddb::error(std::move(rec).error());
      step_record st;
      st.step = *n;
      st.status = rec->status;
      st.args = rec->args.value_or("");
      st.result = rec->result;
      st.error = rec->error;
      st.started_ms = rec->started_ms;
      st.completed_ms = rec->completed_ms;
      page.steps.push_back(std::move(st));
    }
    if (r.last_evaluated_key.empty()) co_return page;
    q.exclusive_start_key = std::move(r.last_evaluated_key);
  }
}

asio::awaitable<run_info> ledger::finish_impl(std::string run, run_status to, std::int64_t expected_version) {
  impl& s = *impl_;
  const std::string pk_value = checked_run_pk(run);
  if (!valid_transition("running", to_string(to)))
    fail_with(errc::invalid_transition, std::string("a run finishes as succeeded, failed or cancelled, not ") + to_string(to));
  co_await check_table();
  update_item_request u;
  u.table_name = s.t.table_name;
  u.key = item{{pk, pk_value}, {sk, "#"}};
  u.update_expression = "SET #s = :to, #u = :now ADD #v :one";
  u.condition_expression = "#v = :expected AND #s = :running";
  u.expression_attribute_names = {{"#s", "status"}, {"#u", "updated_ms"}, {"#v", "version"}};
  u.expression_attribute_values = item{{":to", to_string(to)},
                                       {":now", epoch_ms(s.c.server_time())},
                                       {":one", 1},
                                       {":expected", expected_version},
                                       {":running", "running"}};
  u.return_values = ddb::return_value::all_new;
  u.return_values_on_condition_check_failure = ddb::return_values_on_condition_check_failure::all_old;
  auto [ec, r] = co_await s.c.update_item(u, tuple_token);
  if (!ec) {
    run_info out = run_from(run, r.attributes);
    co_return out;
  }
  if (ec != service_errc::conditional_check_failed) ddb::detail::throw_operation_error(ec, std::move(r.diag));
  if (!r.diag.item) fail_with(errc::invalid_config, "run '" + run + "' does not exist: start it with ledger::start");
  const run_info now = run_from(run, *r.diag.item);
  if (now.version == expected_version)  // the version held: the status did not allow it
    fail_with(errc::invalid_transition, "run '" + run + "' is already " + to_string(now.status) +
                                            ": a finished run does not change again");
  fail_with(errc::version_conflict, "run '" + run + "' is at version " + std::to_string(now.version) + ", not " +
                                        std::to_string(expected_version) +
                                        ": another writer changed it; read it again (ledger::get) and decide");
}

}  // namespace ddb::agent
