// The smallest consumer: a client call against whatever endpoint the environment names.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

#include "ddb/client.hpp"
#include "ddb/model.hpp"  // ListTables is a control-plane operation

int main() {
  boost::asio::io_context io;
  ddb::client db(io.get_executor());
  auto list = [&]() -> boost::asio::awaitable<void> {
    ddb::list_tables_request r;
    ddb::list_tables_response tables = co_await db.list_tables(r);
    std::cout << tables.table_names.size() << " tables\n";
    db.close();
  };
  boost::asio::co_spawn(io, list(), boost::asio::detached);
  io.run();
}
