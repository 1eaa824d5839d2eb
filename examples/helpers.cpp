// The helpers on top of ddb::client: a typed struct written with
// batch_write, read back with a paginated Query built by the expression
// builder, then updated conditionally. Against the endpoint the AWS
// variables name (scripts/demo's DynamoDB Local, for instance):
//
//   scripts/demo   (runs the quickstart, then this), or with the variables set:
//   AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000 AWS_REGION=us-east-1 ... build/examples/helpers
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

#include "ddb/batch.hpp"
#include "ddb/client.hpp"
#include "ddb/expr.hpp"
#include "ddb/paginate.hpp"
#include "ddb/typed.hpp"
#include "ddb/waiters.hpp"
#include "run.hpp"

namespace asio = boost::asio;

struct event {
  std::string user;
  std::int64_t seq = 0;
  std::string kind;
  std::optional<std::string> note;
  std::set<std::string> tags;
};
BOOST_DESCRIBE_STRUCT(event, (), (user, seq, kind, note, tags))

asio::awaitable<void> demo() {
  using namespace ddb::expr;
  auto executor = co_await asio::this_coro::executor;
  ddb::client_config cfg;
  cfg.track_capacity = true;
  ddb::client db(executor, cfg);
  const std::string table = "ddb_helpers_demo";
  const ddb::delete_table_request drop{.table_name = table};
  co_await db.delete_table(drop, asio::as_tuple(asio::use_awaitable));  // left over from an interrupted run? (ignored)

  ddb::create_table_request create{.table_name = table};
  create.attribute_definitions = {{"user", ddb::scalar_attribute_type::s}, {"seq", ddb::scalar_attribute_type::n}};
  create.key_schema = {{"user", ddb::key_type::hash}, {"seq", ddb::key_type::range}};
  create.billing_mode = ddb::billing_mode::pay_per_request;
  co_await db.create_table(create);
  const ddb::waiter_options quick{.delay = std::chrono::milliseconds(200), .timeout = std::chrono::seconds(30)};
  co_await ddb::wait_table_exists(db, table, quick);

  // 60 typed events in one call: split into batches of 25, unprocessed items sent again.
  std::map<std::string, std::vector<ddb::write_request>> writes;
  for (int i = 0; i < 60; ++i) {
    const event e{.user = "ada", .seq = i, .kind = i % 3 ? "click" : "login", .tags = {"web"}};
    writes[table].push_back({.put_request = ddb::put_request{.item = ddb::to_item(e)}});
  }
  const ddb::batch_write_outcome written = co_await ddb::batch_write(db, writes);
  std::cout << "batch_write: " << written.written << " written in " << written.calls << " calls, "
            << written.failed.size() << " failed\n";

  // Logins of "ada", pages of 10 ("user" is a reserved word: the builder uses placeholders).
  ddb::query_request q{.table_name = table, .limit = 10};
  apply(q, {.key_condition = attr("user") == "ada" && attr("seq") >= 30, .filter = attr("kind") == "login"});
  ddb::query_pages pages(db, q);
  std::size_t logins = 0;
  while (auto page = co_await pages.next())
    for (const ddb::item& it : page->items) {
      const event e = ddb::from_item<event>(it).value();
      ++logins;
      if (logins == 1) std::cout << "first login from seq 30: seq " << e.seq << "\n";
    }
  std::cout << "logins with seq >= 30: " << logins << " (" << pages.pages_so_far() << " pages)\n";

  // A conditional update: add a note and a tag only if the event is a login.
  ddb::update_item_request u{.table_name = table, .key = ddb::item{{"user", "ada"}, {"seq", 33}},
                             .return_values = ddb::return_value::all_new};
  apply(u, {.condition = attr("kind") == "login",
            .update = set("note", "checked").add("tags", ddb::string_set{"audited"})});
  const ddb::update_item_response updated = co_await db.update_item(u);
  std::cout << "updated: " << ddb::json::to_json(updated.attributes) << "\n";

  co_await db.delete_table(drop);
  std::cout << "consumed: " << db.capacity().summary() << "\n";
  db.close();
}

int main() { return examples::run("helpers", demo()); }
