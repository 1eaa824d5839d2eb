// Quick start: ddb::client from a coroutine. Region, endpoint and keys come
// from the environment (scripts/demo points AWS_ENDPOINT_URL_DYNAMODB at a
// DynamoDB Local it starts).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

#include "ddb/client.hpp"
#include "ddb/model.hpp"
#include "run.hpp"

namespace asio = boost::asio;

asio::awaitable<void> demo() {
  // (co_await on a line of its own: GCC 12 mishandles temporaries, such as
  // the default client_config, in the full-expression of a co_await.)
  auto executor = co_await asio::this_coro::executor;
  ddb::client db(executor);
  std::cout << "endpoint " << db.endpoint().url() << ", region " << db.region() << "\n";
  const std::string table = "ddb_quickstart";

  ddb::create_table_request create;
  create.table_name = table;
  create.attribute_definitions = {{"pk", ddb::scalar_attribute_type::s}};
  create.key_schema = {{"pk", ddb::key_type::hash}};
  create.billing_mode = ddb::billing_mode::pay_per_request;
  co_await db.create_table(create);
  std::cout << "created table " << table << "\n";

  // (Requests are built before co_await: GCC 12 cannot keep the array of an
  // initializer_list written inside a co_await expression.)
  const ddb::put_item_request put{
      .table_name = table,
      .item = ddb::item{{"pk", "user#1"}, {"name", "Ada Lovelace"}, {"born", 1815},
                        {"languages", ddb::string_set{"en", "fr"}},
                        {"notes", ddb::list{"first programmer", ddb::item{{"machine", "Analytical Engine"}}}}}};
  co_await db.put_item(put);
  std::cout << "put    " << ddb::json::to_json(put.item) << "\n";

  const ddb::get_item_request get{.table_name = table, .key = ddb::item{{"pk", "user#1"}}, .consistent_read = true};
  ddb::get_item_response got = co_await db.get_item(get);
  std::cout << "got    " << ddb::json::to_json(got.item) << "  (request " << got.diag.request_id << ")\n";
  std::cout << "born   " << got.item.at("born").as_number().to<int>().value() << "\n";

  ddb::update_item_request visit;
  visit.table_name = table;
  visit.key = ddb::item{{"pk", "user#1"}};
  visit.update_expression = "ADD visits :one";
  visit.expression_attribute_values = ddb::item{{":one", 1}};
  visit.return_values = ddb::return_value::updated_new;
  ddb::update_item_response updated = co_await db.update_item(visit);
  std::cout << "update " << ddb::json::to_json(updated.attributes) << "\n";

  // Errors carry DynamoDB's type, message and request id.
  ddb::put_item_request again = put;
  again.condition_expression = "attribute_not_exists(pk)";
  try {
    co_await db.put_item(again);
  } catch (const ddb::error& e) {
    std::cout << "as expected: " << e.what() << "\n";
  }

  const ddb::delete_table_request drop{.table_name = table};
  co_await db.delete_table(drop);
  std::cout << "deleted table " << table << "\n";
}

int main() { return examples::run("quickstart", demo()); }
