// The examples, step 2 (after quickstart.cpp): what goes wrong, and how to
// see it. An error as an exception (ddb::error: its code, DynamoDB's type and
// message, the request id, the attempts), the same as a value (as_tuple: no
// exceptions), a deadline on one operation (ddb::cancel_after), and an
// operation called by name with a JSON body (call()). Environment as in
// quickstart.cpp.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <iostream>

#include "ddb/client.hpp"
#include "ddb/model.hpp"
#include "run.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

asio::awaitable<void> demo() {
  auto executor = co_await asio::this_coro::executor;
  ddb::client db(executor);
  const std::string table = "ddb_errors_example";
  ddb::create_table_request create;
  create.table_name = table;
  create.attribute_definitions = {{"pk", ddb::scalar_attribute_type::s}};
  create.key_schema = {{"pk", ddb::key_type::hash}};
  create.billing_mode = ddb::billing_mode::pay_per_request;
  co_await db.create_table(create);

  // 1. As an exception. The second put's condition fails: DynamoDB refused it,
  //    nothing was written, and retrying would not help (ddb did not retry).
  ddb::put_item_request order;
  order.table_name = table;
  order.item = ddb::item{{"pk", "order#1"}, {"state", "new"}};
  order.condition_expression = "attribute_not_exists(pk)";
  co_await db.put_item(order);
  try {
    co_await db.put_item(order);
  } catch (const ddb::error& e) {
    std::cout << "exception: " << e.what() << "\n";
    std::cout << "  condition failed: " << (e.code() == ddb::service_errc::conditional_check_failed) << "\n";
    if (const ddb::diagnostics* d = e.diag())
      std::cout << "  type " << d->service_type << ", HTTP " << d->http_status << ", " << d->attempts
                << " attempt(s), request id " << (d->request_id.empty() ? "none" : "present") << "\n";
  }

  // 2. As a value: the same call with as_tuple never throws for a failed operation.
  auto [ec, unused] = co_await db.put_item(order, asio::as_tuple(asio::use_awaitable));
  (void)unused;
  std::cout << "as a value: " << ec.message() << ", retryable: " << ddb::is_retryable(ec) << "\n";

  // 3. A deadline on one operation: it completes with operation_aborted (as
  //    an exception with use_awaitable) once the time is up; the client stays
  //    usable. A generous one here: the call finishes long before.
  const ddb::get_item_request get{.table_name = table, .key = ddb::item{{"pk", "order#1"}}, .consistent_read = true};
  ddb::get_item_response got = co_await db.get_item(get, ddb::cancel_after(10s));
  std::cout << "within the deadline: state " << got.item.at("state").as_string() << "\n";

  // 4. Called by name with a JSON body, for an operation or a field ddb has no
  //    type for: the answer's JSON comes back as it arrived.
  const std::string body = R"({"TableName":")" + table + R"("})";
  auto [dec, described] = co_await db.call("DescribeTable", body, asio::as_tuple(asio::use_awaitable));
  std::cout << "call(DescribeTable): " << (dec ? dec.message() : "ok") << ", "
            << (described.body.find("\"TableStatus\"") != std::string::npos ? "has TableStatus" : "no TableStatus")
            << "\n";
  // A name DynamoDB does not know: its error, as a value.
  auto [unknown, none] = co_await db.call("NoSuchOperation", "{}", asio::as_tuple(asio::use_awaitable));
  std::cout << "call(NoSuchOperation): " << none.diag.summary(unknown) << "\n";

  const ddb::delete_table_request drop{.table_name = table};
  co_await db.delete_table(drop);
}

int main() { return examples::run("errors", demo()); }
