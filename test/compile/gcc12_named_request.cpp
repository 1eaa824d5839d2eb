// Must compile with every compiler (test compile.gcc12_named_request): the
// forms the GCC 12 caveat of the README recommends, beside the traps the two
// other files in this folder show refused. Also the client constructed from
// co_await this_coro::executor, safe since the constructor takes no default
// argument (run under ASan by fault.client: "the client built inside co_await").
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <ddb/client.hpp>

boost::asio::awaitable<void> named() {
  ddb::client c(co_await boost::asio::this_coro::executor);
  const ddb::get_item_request get{.table_name = "users", .key = ddb::item{{"pk", "user#1"}}};
  auto r = co_await c.get_item(get);
  ddb::put_item_request put;
  put.table_name = "users";
  put.item = r.item;
  auto [ec, p] = co_await c.put_item(put, boost::asio::as_tuple(boost::asio::use_awaitable));
  (void)ec;
  (void)p;
}
