// Must NOT compile with GCC 12 (test compile.gcc12_moved_request): a request
// made as a temporary for a call with a token, inside co_await.
#include <boost/asio/as_tuple.hpp>
#include <ddb/client.hpp>

boost::asio::awaitable<void> temporary(ddb::client& c) {
  auto [ec, r] = co_await c.put_item(ddb::put_item_request{.table_name = "users"},
                                     boost::asio::as_tuple(boost::asio::use_awaitable));
  (void)ec;
  (void)r;
}
