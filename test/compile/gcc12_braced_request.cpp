// Must NOT compile with GCC 12 (test compile.gcc12_braced_request): a request
// braced inside the co_await expression is a temporary GCC 12 destroys
// twice (its strings freed twice under ASan). ddb refuses it with a
// message naming the fix; gcc12_named_request.cpp is the form that works.
#include <ddb/client.hpp>

boost::asio::awaitable<void> braced(ddb::client& c) {
  auto r = co_await c.get_item({.table_name = "users"});
  (void)r;
}
