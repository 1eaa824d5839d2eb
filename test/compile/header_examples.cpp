// The examples at the top of the public headers, as written there (names
// they take as given come from test/readme/prelude.hpp). Compiled in the
// suite (target ddb_readme_examples), not run: when a header's example
// changes, change it here too.
#include "readme/prelude.hpp"

// ddb/client.hpp
asio::awaitable<void> client_example() {
  ddb::client c(co_await asio::this_coro::executor);   // or (executor, client_config{...})
  const ddb::get_item_request req{.table_name = "users", .key = ddb::item{{"pk", "user#1"}}};
  ddb::get_item_response r = co_await c.get_item(req);   // a named request: see GCC 12 in the README
  auto [ec, r2] = co_await c.get_item(req, asio::as_tuple(asio::use_awaitable));
  ddb::raw_response raw = co_await c.call("DescribeLimits", "{}");   // any operation, raw JSON
}

// ddb/paginate.hpp
void reply(const std::vector<ddb::item>&, const std::string& cursor);
asio::awaitable<void> paginate_example(ddb::query_request request, std::string cursor_from_client) {
  {
    ddb::query_pages pages(db, request, {.max_items = 500});
    while (auto page = co_await pages.next())
      for (const ddb::item& it : page->items) (void)it;
  }
  ddb::query_pages pages(db, request, {.max_items = 20});
  pages.resume(cursor_from_client);     // "" = from the start
  auto page = co_await pages.next();
  reply(page->items, pages.cursor());   // "" when there is nothing more
}

// ddb/cache.hpp
void use(const std::string&);
asio::awaitable<void> cache_example(asio::any_io_executor ex) {
  auto store = std::make_shared<ddb::cache::memory_store>();
  auto embed = std::make_shared<ddb::cache::hash_embedder>(384);
  ddb::cache::semantic_cache cache(ex, store, embed);
  co_await cache.open();
  co_await cache.put("What is the capital of France?", "Paris");
  ddb::cache::lookup r = co_await cache.get("what is the capital of  france?");
  if (r.hit) use(r.hit->response);             // else r.reason says why not
}

// ddb/agent/idempotency.hpp, lease.hpp, ledger.hpp
template <class Token>
asio::awaitable<void> do_work(std::uint64_t fence, Token token);
asio::awaitable<void> agent_examples(std::string args_json, ddb::agent::idempotency::function call_tool) {
  ddb::agent::idempotency idem(client, {.table_name = "agent", .create_table = true});
  ddb::agent::idempotency::function charge_once = [&]() -> asio::awaitable<std::string> {
    co_return co_await charge(card, amount);   // runs once
  };
  auto r = co_await idem.run("order-42/charge", charge_once);
  (void)r.value;
  (void)r.replayed;

  ddb::agent::leases leases(client, {.table_name = "agent"});
  ddb::agent::held_lease l = co_await leases.acquire("nightly-report", 30s);
  co_await do_work(l.fence(), asio::bind_cancellation_slot(l.lost_slot(), asio::use_awaitable));
  co_await l.release();

  ddb::agent::ledger book(client, {.table_name = "agent"});
  ddb::agent::run_info run = co_await book.start(run_id);
  for (std::int64_t step = 0; step < 3; ++step) {
    auto c = co_await book.call(run_id, step, args_json, call_tool);   // recorded, or replayed
    (void)c;
  }
  co_await book.finish(run_id, ddb::agent::run_status::succeeded, run.version);
}

// ddb/vec/scorer.hpp
asio::awaitable<void> scorer_example(ddb::vec::index& idx) {
  ddb::vec::scorer s(co_await asio::this_coro::executor, idx, 2);
  ddb::vec::matches best = co_await s.search(query, {.k = 3});
}

// ddb/typed.hpp
namespace typed_example {
struct message { std::string user_id; std::string at; std::string text; };
BOOST_DESCRIBE_STRUCT(message, (), (user_id, at, text))
constexpr auto ddb_item_schema(const message*) {
  return ddb::item_schema(ddb::partition_key(&message::user_id, "PK"), ddb::sort_key(&message::at, "SK"),
                          ddb::attribute(&message::text, "body"));
}
inline void use_it(const message& m) {
  ddb::item it = ddb::to_item(m);
  ddb::item key = ddb::key_of(m);
  std::string plain = ddb::json::to_plain_json(it);
  (void)key;
  (void)plain;
}
}  // namespace typed_example
