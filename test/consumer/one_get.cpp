// The compile-time yardstick of README "Compile time of your code": the
// client header and one GetItem with the default token. Compiled in the
// suite (target compile_time_probe) so it keeps compiling.
#include <ddb/client.hpp>

boost::asio::awaitable<void> one_get(ddb::client& c) {
  ddb::get_item_request r;
  r.table_name = "users";
  r.key = {{"pk", "user#1"}};
  auto out = co_await c.get_item(r);
  (void)out;
}
