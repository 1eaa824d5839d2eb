// The agent table: checked (or created) once per component; failures of the
// caller's functions turned into error codes for non-throwing tokens.
#include <boost/asio/as_tuple.hpp>

#include "agent/common.hpp"
#include "agent/protocol.hpp"
#include "ddb/agent/table.hpp"
#include "ddb/waiters.hpp"

namespace ddb::agent::detail {

namespace asio = boost::asio;

namespace {

std::string expected_shape(const std::string& table) {
  return "table " + table + " is not an agent table: ddb::agent needs partition key 'pk' (S) and sort key 'sk' (S); "
                            "name another table, or let ddb create one (table_options::create_table, --create-table)";
}

asio::awaitable<void> create(client& c, const std::string& table, bool stream) {
  create_table_request r;
  r.table_name = table;
  r.attribute_definitions = {{pk, ddb::scalar_attribute_type::s},
                             {sk, ddb::scalar_attribute_type::s},
                             {"run_id", ddb::scalar_attribute_type::s}};
  r.key_schema = {{pk, ddb::key_type::hash}, {sk, ddb::key_type::range}};
  r.billing_mode = ddb::billing_mode::pay_per_request;
  if (stream)
    r.stream_specification = stream_specification{.stream_enabled = true,
                                                  .stream_view_type = ddb::stream_view_type::new_and_old_images};
  // ddb::agent::memory's index of a run's messages (sparse: only messages
  // appended with a run id carry run_id; KEYS_ONLY). Made with the table:
  // adding it later takes an index build (and DynamoDB Local never finishes
  // one: an index added by UpdateTable stays CREATING there).
  global_secondary_index runs;
  runs.index_name = "ddb_run_id";
  runs.key_schema = {{"run_id", ddb::key_type::hash}};
  runs.projection.projection_type = ddb::projection_type::keys_only;
  r.global_secondary_indexes.push_back(std::move(runs));
  auto [ec, created] = co_await c.create_table(r, asio::as_tuple(asio::use_awaitable));
  // Another process creating it at the same moment is fine: wait for it.
  if (ec && ec != service_errc::resource_in_use) ddb::detail::throw_operation_error(ec, std::move(created.diag));
  waiter_options w;
  w.delay = std::chrono::milliseconds(200);
  w.timeout = std::chrono::seconds(120);
  co_await wait_table_exists(c, table, w);
  update_time_to_live_request ttl;
  ttl.table_name = table;
  ttl.time_to_live_specification.attribute_name = ttl_attribute;
  ttl.time_to_live_specification.enabled = true;
  auto [ttl_ec, ttl_r] = co_await c.update_time_to_live(ttl, asio::as_tuple(asio::use_awaitable));
  // Already enabled by the process that won the creation: fine too.
  if (ttl_ec && ttl_ec != service_errc::validation) ddb::detail::throw_operation_error(ttl_ec, std::move(ttl_r.diag));
}

}  // namespace

asio::awaitable<void> ensure_table(client& c, const table_options& t) {
  if (t.table_name.empty())
    throw ddb::error(fail(errc::invalid_config, "table_options::table_name is empty: name the agent table"));
  describe_table_request d;
  d.table_name = t.table_name;
  auto [ec, desc] = co_await c.describe_table(d, asio::as_tuple(asio::use_awaitable));
  if (ec == service_errc::resource_not_found) {
    if (!t.create_table)
      throw ddb::error(fail(errc::invalid_config, "table " + t.table_name +
                                                      " does not exist: create it with table_options::create_table = "
                                                      "true (--create-table), or name an existing agent table"));
    co_await create(c, t.table_name, t.stream);
    co_return;
  }
  if (ec) ddb::detail::throw_operation_error(ec, std::move(desc.diag));
  if (!desc.table) throw ddb::error(fail(errc::unexpected_json, "DescribeTable returned no table"));
  const table_description& td = *desc.table;
  bool hash_ok = false, range_ok = false;
  for (const auto& k : td.key_schema) {
    if (k.key_type == ddb::key_type::hash) hash_ok = k.attribute_name == pk;
    if (k.key_type == ddb::key_type::range) range_ok = k.attribute_name == sk;
  }
  for (const auto& a : td.attribute_definitions)
    if ((a.attribute_name == pk || a.attribute_name == sk) && a.attribute_type != ddb::scalar_attribute_type::s) hash_ok = false;
  if (!hash_ok || !range_ok || td.key_schema.size() != 2)
    throw ddb::error(fail(errc::invalid_config, expected_shape(t.table_name)));
}

asio::awaitable<std::int64_t> append_parts(client& c, const std::string& table, const std::string& pk_value,
                                           const std::string& prefix, bool consistent, const std::string& what,
                                           std::string& out) {
  query_request q;
  q.table_name = table;
  q.key_condition_expression = "#pk = :pk AND begins_with(#sk, :p)";
  q.expression_attribute_names = {{"#pk", pk}, {"#sk", sk}};
  q.expression_attribute_values = item{{":pk", pk_value}, {":p", prefix}};
  q.consistent_read = consistent;
  std::int64_t found = 0;
  for (;;) {
    auto page = co_await c.query(q);
    for (const item& it : page.items) {
      const value* d = it.find("data");
      const bytes* b = d ? d->get_if<bytes>() : nullptr;
      if (!b) fail_with(errc::unexpected_json, "a part of " + what + " has no data");
      out.append(b->begin(), b->end());
      ++found;
    }
    if (page.last_evaluated_key.empty()) break;
    q.exclusive_start_key = std::move(page.last_evaluated_key);
  }
  co_return found;
}

void put_with_parts(transact_write_items_request& tx, const std::string& table, item head, std::vector<item> parts) {
  transact_write_item first;
  first.put = transact_put{.item = std::move(head),
                           .table_name = table,
                           .condition_expression = "attribute_not_exists(#pk)",
                           .expression_attribute_names = {{"#pk", pk}}};
  tx.transact_items.push_back(std::move(first));
  for (item& p : parts) {
    transact_write_item w;
    w.put = transact_put{.item = std::move(p), .table_name = table};
    tx.transact_items.push_back(std::move(w));
  }
}

std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "something that is not a std::exception";
  }
}

}  // namespace ddb::agent::detail
