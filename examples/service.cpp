// The examples, last step: a service program. Two clients on one io_context
// run by two threads, each client on a strand of its own (a client is not
// thread-safe: its handlers must never run at once, and calls start on its
// strand); work that crosses from one client to the other is spawned on the
// other's strand. Graceful shutdown on SIGINT or SIGTERM (or after --orders
// N): no new work is taken, what is in flight finishes, the tables are
// counted against what was reported done, the clients close, and the threads
// return from run() by themselves (no io_context::stop()).
//
//   service [--orders N] [--workers W]      (environment as in quickstart.cpp)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include <unistd.h>

#include "ddb/client.hpp"
#include "ddb/model.hpp"

namespace asio = boost::asio;
using strand = asio::strand<asio::io_context::executor_type>;

class service {
 public:
  service(asio::io_context& io, long orders, int workers)
      : orders_strand_(asio::make_strand(io)),
        audit_strand_(asio::make_strand(io)),
        orders_db_(orders_strand_),
        audit_db_(audit_strand_, audit_config()),
        signals_(orders_strand_, SIGINT, SIGTERM),
        max_orders_(orders),
        workers_(workers) {}

  // Runs on the orders strand: tables, then the workers; the signal handler
  // asks for the same shutdown as the last order does.
  asio::awaitable<void> start() {
    co_await make_table(orders_db_, orders_table);
    co_await asio::co_spawn(audit_strand_, make_table(audit_db_, audit_table), asio::use_awaitable);
    signals_.async_wait([this](boost::system::error_code ec, int signo) {  // on the orders strand
      if (ec) return;  // cancelled at the end
      std::cout << "signal " << signo << ": stopping; " << in_flight_ << " order(s) in flight finish first\n";
      stopping_ = true;
    });
    std::cout << "ready: " << workers_ << " workers, 2 threads" << std::endl;
    running_ = workers_;
    for (int w = 0; w < workers_; ++w) asio::co_spawn(orders_strand_, worker(), asio::detached);
  }

  int exit_code() const noexcept { return exit_code_; }
  const strand& orders_strand() const noexcept { return orders_strand_; }

 private:
  // Per process, so that two runs on one endpoint stay apart.
  const std::string orders_table = "ddb_service_orders_" + std::to_string(::getpid());
  const std::string audit_table = "ddb_service_audit_" + std::to_string(::getpid());

  static ddb::client_config audit_config() {
    ddb::client_config c;
    c.pipeline_depth = 8;  // many small writes to one endpoint
    return c;
  }

  static asio::awaitable<void> make_table(ddb::client& db, std::string name) {
    ddb::create_table_request t;
    t.table_name = name;
    t.attribute_definitions = {{"pk", ddb::scalar_attribute_type::s}};
    t.key_schema = {{"pk", ddb::key_type::hash}};
    t.billing_mode = ddb::billing_mode::pay_per_request;
    co_await db.create_table(t);
  }

  // On the orders strand; next_, done_ and in_flight_ are touched there only.
  asio::awaitable<void> worker() {
    while (!stopping_ && (max_orders_ == 0 || next_ < max_orders_)) {
      const std::string id = "order#" + std::to_string(next_++);
      ++in_flight_;
      try {
        ddb::put_item_request put;
        put.table_name = orders_table;
        put.item = ddb::item{{"pk", id}, {"state", "accepted"}};
        put.condition_expression = "attribute_not_exists(pk)";
        co_await orders_db_.put_item(put);
        // The audit record goes through the other client, on its strand.
        co_await asio::co_spawn(audit_strand_, audit(id), asio::use_awaitable);
        ++done_;
      } catch (const ddb::error& e) {
        ++failed_;
        std::cerr << id << ": " << e.what() << "\n";
      }
      --in_flight_;
    }
    if (--running_ == 0) co_await finish();
  }

  asio::awaitable<void> audit(std::string id) {
    ddb::put_item_request put;
    put.table_name = audit_table;
    put.item = ddb::item{{"pk", id}, {"event", "order accepted"}};
    co_await audit_db_.put_item(put);
  }

  static asio::awaitable<long> count(ddb::client& db, std::string table) {
    long n = 0;
    ddb::scan_request scan;
    scan.table_name = table;
    scan.select = ddb::select::count;
    do {
      ddb::scan_response page = co_await db.scan(scan);
      n += static_cast<long>(page.count.value_or(0));
      scan.exclusive_start_key = std::move(page.last_evaluated_key);
    } while (!scan.exclusive_start_key.empty());
    co_return n;
  }

  static asio::awaitable<void> drop(ddb::client& db, std::string table) {
    const ddb::delete_table_request d{.table_name = table};
    co_await db.delete_table(d);
  }

  // The last worker is out: nothing is in flight. Count, drop, close.
  asio::awaitable<void> finish() {
    const long orders = co_await count(orders_db_, orders_table);
    const long audited = co_await asio::co_spawn(audit_strand_, count(audit_db_, audit_table), asio::use_awaitable);
    std::cout << "stopped: " << done_ << " order(s) done, " << failed_ << " failed; the tables hold " << orders
              << " order(s) and " << audited << " audit record(s)\n";
    if (failed_ != 0 || orders != done_ || audited != done_) exit_code_ = 1;
    co_await drop(orders_db_, orders_table);
    co_await asio::co_spawn(audit_strand_, drop(audit_db_, audit_table), asio::use_awaitable);
    signals_.cancel();
    orders_db_.close();
    asio::post(audit_strand_, [this] { audit_db_.close(); });
  }

  strand orders_strand_, audit_strand_;
  ddb::client orders_db_, audit_db_;
  asio::signal_set signals_;
  long max_orders_;
  int workers_;
  int running_ = 0;
  bool stopping_ = false;
  long next_ = 0, done_ = 0, failed_ = 0, in_flight_ = 0;
  int exit_code_ = 0;
};

int main(int argc, char** argv) {
  long orders = 200;
  int workers = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--orders") orders = std::atol(argv[i + 1]);  // 0: until a signal
    else if (flag == "--workers") workers = std::atoi(argv[i + 1]);
  }
  if (workers < 1) {
    std::cerr << "service: --workers must be at least 1\n";
    return 2;
  }
  asio::io_context io;
  int rc = 0;
  {
    service s(io, orders, workers);
    asio::co_spawn(s.orders_strand(), s.start(), [&](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::cerr << "service: " << ex.what() << "\n";
        rc = 1;
      }
    });
    std::thread second([&] { io.run(); });
    io.run();
    second.join();
    if (rc == 0) rc = s.exit_code();
  }
  return rc;
}
