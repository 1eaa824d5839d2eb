// The client against a loopback server that misbehaves on purpose: every
// failure ends in the right error code and diagnostics, never hangs, and the
// pool keeps working for the next request.
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <array>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "ddb/client.hpp"
#include "support/with_client.hpp"
#include "support/aws_env.hpp"
#include "support/fault_server.hpp"
#include "support/test_cert.hpp"

using namespace ddb;
using ddb::test::with_client;
using ddb::test::action;
using ddb::test::config_for;
using ddb::test::fault_server;
using ddb::test::request_info;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using boost::system::error_code;

namespace {



using result_t = std::tuple<error_code, raw_response>;

asio::awaitable<result_t> get(client& c, request_safety s = request_safety::idempotent) {
  co_return co_await c.call("GetItem", R"({"TableName":"t","Key":{"pk":{"S":"a"}}})", s,
                            asio::as_tuple(asio::use_awaitable));
}

// One connection, pipelining `depth` deep (refilled as pipeline_refill
// says), with attempts allowed 5 s: a reader that waited where it should have
// read shows as a slow test or a failed time check, not as a retry.
client_config one_connection(const fault_server& server, std::size_t depth, std::size_t refill = 0) {
  auto cfg = config_for(server);
  cfg.pool_size = 1;
  cfg.pipeline_depth = depth;
  cfg.pipeline_refill = refill;
  // Never reached: a reply held back would hang the test (with_client's
  // limit fails it) instead of being released by a timeout.
  cfg.attempt_timeout = std::chrono::hours(1);
  return cfg;
}

// The pipelining setups the reader must get right: none, rolling (refilled
// at half the depth), and batches (refilled only when empty, where the reader
// also waits for a whole batch of replies: src/transport/transport.cpp).
struct pipelining {
  std::size_t depth, refill;
  const char* name;
};
constexpr pipelining every_pipelining[] = {{1, 0, "no pipelining"}, {4, 0, "pipeline depth 4"},
                                           {4, 4, "pipeline depth 4, batches"}};

}  // namespace

TEST_CASE("a signed request goes out and the response comes back with its diagnostics", "[fault]") {
  fault_server server([](const request_info&) { return action::ok(); });
  with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
    auto [ec, r] = co_await get(c);
    CHECK_FALSE(ec);
    CHECK(r.body == R"({"Item":{"pk":{"S":"a"}}})");
    CHECK(r.diag.attempts == 1);
    CHECK(r.diag.http_status == 200);
    CHECK(r.diag.request_id == "REQ200");
    // The default token returns the response itself.
    raw_response r2 = co_await c.call("GetItem", "{}");
    CHECK(r2.diag.attempts == 1);
  });
  const auto seen = server.seen();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].head.rfind("POST / HTTP/1.1\r\n", 0) == 0);
  CHECK(seen[0].head.find("X-Amz-Target: DynamoDB_20120810.GetItem\r\n") != std::string::npos);
  CHECK(seen[0].head.find("Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/") != std::string::npos);
  CHECK(seen[0].head.find("Host: 127.0.0.1:" + std::to_string(server.port()) + "\r\n") != std::string::npos);
  CHECK(seen[0].body == R"({"TableName":"t","Key":{"pk":{"S":"a"}}})");
  CHECK(server.connections() == 1);  // keep-alive
}

TEST_CASE("every completion token works: callbacks, deferred, as_tuple, throwing awaitable", "[fault]") {
  fault_server server([](const request_info& r) {
    return r.index == 3 ? action::error(400, "ConditionalCheckFailedException", "The conditional request failed")
                        : action::ok();
  });
  asio::io_context io;
  client c(io.get_executor(), config_for(server));
  int done = 0;
  c.call("GetItem", "{}", [&](error_code ec, raw_response r) {
    CHECK_FALSE(ec);
    CHECK(r.diag.attempts == 1);
    ++done;
  });
  auto deferred_op = c.call("GetItem", "{}", asio::deferred);
  std::move(deferred_op)([&](error_code ec, raw_response) {
    CHECK_FALSE(ec);
    ++done;
  });
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer t(io);  // after the two above (answered), so the error is the fourth request
        while (done < 2) {
          t.expires_after(1ms);
          co_await t.async_wait(asio::use_awaitable);
        }
        auto [ec, r] = co_await c.call("GetItem", "{}", asio::as_tuple(asio::use_awaitable));
        CHECK_FALSE(ec);
        try {
          co_await c.call("PutItem", "{}");
          FAIL("expected ddb::error");
        } catch (const ddb::error& e) {
          CHECK(e.code() == service_errc::conditional_check_failed);
          REQUIRE(e.diag());
          CHECK(e.diag()->service_type == "ConditionalCheckFailedException");
          CHECK(e.diag()->message == "The conditional request failed");
          CHECK(e.diag()->http_status == 400);
          CHECK(e.diag()->attempts == 1);  // a client error is never retried
          CHECK_THAT(std::string(e.what()),
                     Catch::Contains("ConditionalCheckFailedException: The conditional request failed"));
        }
        ++done;
        c.close();
      },
      asio::detached);
  io.run_for(10s);
  CHECK(done == 3);
}

TEST_CASE("connection refused: connect_failed after the retries, with the reason", "[fault]") {
  std::string url;
  {
    fault_server gone([](const request_info&) { return action::ok(); });
    url = gone.url();
  }  // the port is closed now
  client_config cfg;
  cfg.endpoint = url;
  cfg.region = "us-east-1";
  cfg.credentials = credentials{"AKID", secret_string("s"), {}};
  cfg.retry.transient_base = 1ms;
  with_client(cfg, [&](client& c) -> asio::awaitable<void> {
    auto [ec, r] = co_await get(c);
    CHECK(ec == errc::connect_failed);
    CHECK(r.diag.attempts == 4);
    CHECK_THAT(r.diag.message, Catch::Contains("TCP connect failed"));
    CHECK_THAT(r.diag.message, Catch::Contains(url));
    CHECK(is_retryable(ec));
  });
}

TEST_CASE("reset mid-response: idempotent requests are retried, others are not", "[fault]") {
  std::atomic<int> calls{0};
  fault_server server([&](const request_info&) {
    // Every other request: half a response, then RST.
    return calls++ % 2 == 0 ? action::raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"Ite", action::reset)
                            : action::ok();
  });
  with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
    auto [ec, r] = co_await get(c);
    CHECK_FALSE(ec);
    CHECK(r.diag.attempts == 2);
    auto [ec2, r2] = co_await get(c, request_safety::not_idempotent);
    CHECK(ec2 == errc::connection_closed);
    CHECK(r2.diag.attempts == 1);  // may have been applied: not repeated
    auto [ec3, r3] = co_await get(c);  // and the pool still works
    CHECK_FALSE(ec3);
  });
}

TEST_CASE("a server closing keep-alive connections does not break the next request", "[fault]") {
  fault_server server([](const request_info&) {
    action a = action::ok();
    a.close_after = true;  // answers, then closes without saying so
    return a;
  });
  with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
    for (int i = 0; i < 5; ++i) {
      // Until the client has seen the close (a close it never sees hangs
      // here, and with_client's limit fails the test).
      asio::steady_timer t(co_await asio::this_coro::executor);
      while (c.open_connections() != 0) {
        t.expires_after(1ms);
        co_await t.async_wait(asio::use_awaitable);
      }
      auto [ec, r] = co_await get(c);
      CHECK_FALSE(ec);
      CHECK(r.diag.attempts == 1);
    }
  });
  CHECK(server.connections() == 5);
}

TEST_CASE("Connection: close is honoured", "[fault]") {
  fault_server server([](const request_info&) { return action::status(200, "{}", "Connection: close\r\n"); });
  with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      auto [ec, r] = co_await get(c);
      CHECK_FALSE(ec);
    }
  });
  CHECK(server.connections() == 3);
}

TEST_CASE("truncated bodies and wrong lengths end in clear errors", "[fault]") {
  SECTION("the server closes before the declared length") {
    fault_server server([](const request_info&) {
      return action::raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"Item\":", action::close);
    });
    with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
      auto [ec, r] = co_await get(c);
      CHECK(ec == errc::connection_closed);
      CHECK(r.diag.attempts == 4);
    });
  }
  SECTION("a Content-Length shorter than the body: CRC32 catches it") {
    const std::string body = R"({"Item":{"pk":{"S":"a"}}})";
    fault_server server([&](const request_info&) {
      return action::raw("HTTP/1.1 200 OK\r\nx-amz-crc32: " + action::crc(body) + "\r\nContent-Length: 5\r\n\r\n" + body);
    });
    with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
      auto [ec, r] = co_await get(c);
      CHECK((ec == errc::crc32_mismatch || ec == errc::invalid_response));
    });
  }
  SECTION("garbage instead of HTTP") {
    fault_server server([](const request_info&) { return action::raw("SSH-2.0-OpenSSH\r\n\r\n"); });
    with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
      auto [ec, r] = co_await get(c);
      CHECK(ec == errc::invalid_response);
      CHECK_THAT(r.diag.message, Catch::Contains("unparsable HTTP response"));
    });
  }
  SECTION("a body over max_response_bytes is refused, not retried") {
    fault_server server([](const request_info&) { return action::ok(std::string(5000, 'x')); });
    auto cfg = config_for(server);
    cfg.max_response_bytes = 1000;
    with_client(cfg, [&](client& c) -> asio::awaitable<void> {
      auto [ec, r] = co_await get(c);
      CHECK(ec == errc::body_too_large);
      CHECK(r.diag.attempts == 1);
    });
  }
}

TEST_CASE("a CRC32 mismatch is retried", "[fault]") {
  std::atomic<int> calls{0};
  fault_server server([&](const request_info&) {
    if (calls++ == 0) return action::raw("HTTP/1.1 200 OK\r\nx-amz-crc32: 12345\r\nContent-Length: 2\r\n\r\n{}");
    return action::ok();
  });
  with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
    auto [ec, r] = co_await get(c);
    INFO(r.diag.summary(ec));
    CHECK_FALSE(ec);
    CHECK(r.diag.attempts == 2);
  });
}

TEST_CASE("HTTP 500 and 503 are retried, then reported", "[fault]") {
  fault_server server([](const request_info& r) {
    if (r.index < 4) return action::error(500, "InternalServerError", "oops");
    return action::raw("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 9\r\n\r\nnot json!");
  });
  with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
    auto [ec, r] = co_await get(c);
    CHECK(ec == service_errc::internal_server_error);
    CHECK(r.diag.attempts == 4);
    CHECK(r.diag.http_status == 500);
    CHECK(r.diag.message == "oops");
    auto [ec2, r2] = co_await get(c);
    CHECK(ec2 == errc::http_error);
    CHECK(r2.diag.http_status == 503);
    CHECK(r2.diag.attempts == 4);
    CHECK_THAT(r2.diag.message, Catch::Contains("not json!"));
    // A not-idempotent request is not repeated after a 5xx: it may have been applied.
    auto [ec3, r3] = co_await get(c, request_safety::not_idempotent);
    CHECK(ec3 == errc::http_error);
    CHECK(r3.diag.attempts == 1);
  });
}

TEST_CASE("throttling storms: retried with backoff, then a clear error; the quota is respected", "[fault]") {
  fault_server server([](const request_info&) { return action::error(400, "ThrottlingException", "Rate exceeded"); });
  auto cfg = config_for(server);
  cfg.retry.quota_capacity = 12;  // two throttling retries (5 each), not three
  with_client(cfg, [&](client& c) -> asio::awaitable<void> {
    auto [ec, r] = co_await get(c, request_safety::not_idempotent);  // throttling proves nothing was applied
    CHECK(ec == service_errc::throttling);
    CHECK(is_throttling(ec));
    CHECK(r.diag.attempts == 3);
    CHECK_THAT(r.diag.message, Catch::Contains("retry quota is exhausted"));
    CHECK(c.retry_quota_available() == 2);
    auto [ec2, r2] = co_await get(c);
    CHECK(ec2 == service_errc::throttling);
    CHECK(r2.diag.attempts == 1);  // no tokens left for a retry
  });
}

TEST_CASE("x-amz-retry-after is honoured", "[fault]") {
  std::atomic<int> calls{0};
  fault_server server([&](const request_info&) {
    if (calls++ == 0)
      return action::status(400, R"({"__type":"x#ThrottlingException","message":"slow down"})",
                            "x-amz-retry-after: 150\r\n");
    return action::ok();
  });
  with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
    const auto t0 = std::chrono::steady_clock::now();
    auto [ec, r] = co_await get(c);
    CHECK_FALSE(ec);
    CHECK(r.diag.attempts == 2);
    CHECK(std::chrono::steady_clock::now() - t0 >= 150ms);
  });
}

TEST_CASE("timeouts: a slow server, a hung server, a full pool", "[fault]") {
  SECTION("attempt timeout, then a retry that succeeds on a new connection") {
    std::atomic<int> calls{0};
    fault_server server([&](const request_info&) { return calls++ == 0 ? action::never() : action::ok(); });
    auto cfg = config_for(server);
    cfg.attempt_timeout = 1s;  // the retry's new connection and handshake fit in it on a loaded machine
    with_client(cfg, [&](client& c) -> asio::awaitable<void> {
      auto [ec, r] = co_await get(c);
      CHECK_FALSE(ec);
      CHECK(r.diag.attempts == 2);
    });
    CHECK(server.connections() == 2);  // the silent connection was dropped
  }
  SECTION("operation timeout bounds all attempts") {
    // The server never answers, and the retry rules would try a hundred
    // times: only the operation's deadline can end it (its deadline comes
    // first in the order deadlines are handled, however late the loop runs).
    fault_server server([](const request_info&) { return action::never(); });
    auto cfg = config_for(server);
    cfg.attempt_timeout = 150ms;
    cfg.operation_timeout = 1s;
    cfg.retry.max_attempts = 100;
    cfg.retry.quota_enabled = false;
    with_client(cfg, [&](client& c) -> asio::awaitable<void> {
      auto [ec, r] = co_await get(c);
      CHECK(ec == errc::operation_timeout);
      CHECK(r.diag.attempts >= 2);
      CHECK(r.diag.attempts < 100);
    });
  }
  SECTION("pool timeout when every connection is busy") {
    // Request 0 opens the only connection; request 1 holds it for 2 s; a
    // third, sent once request 1 is at the server, waits 100 ms for the pool.
    fault_server server([](const request_info& r) { return r.index == 1 ? action::ok().after(2s) : action::ok(); });
    auto cfg = config_for(server);
    cfg.pool_size = 1;
    cfg.pool_wait_timeout = 100ms;
    with_client(cfg, [&](client& c) -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      auto [ec0, r0] = co_await get(c);
      REQUIRE_FALSE(ec0);
      std::optional<error_code> slow;
      c.call("GetItem", "{}", [&](error_code ec, raw_response) { slow = ec; });
      asio::steady_timer t(ex);
      while (server.requests() < 2) {  // the slow one has the only connection
        t.expires_after(1ms);
        co_await t.async_wait(asio::use_awaitable);
      }
      auto [ec, r] = co_await get(c);
      CHECK(ec == errc::pool_timeout);
      CHECK_THAT(r.diag.message, Catch::Contains("pool_size"));
      while (!slow) {  // the slow one still ends well (however long a loaded machine takes)
        t.expires_after(5ms);
        co_await t.async_wait(asio::use_awaitable);
      }
      CHECK_FALSE(*slow);
    });
  }
}

// A response that arrives a few bytes at a time, one read each, must still be
// read whole and the connection reused, with and without pipelining.
TEST_CASE("a response arriving a few bytes at a time is read whole, the connection kept", "[fault]") {
  for (const pipelining& p : every_pipelining) {
    DYNAMIC_SECTION(p.name) {
      fault_server server([](const request_info& r) {
        return action::ok(R"({"n":)" + std::to_string(r.index) + "}").in_pieces(7, 2ms);
      });
      with_client(one_connection(server, p.depth, p.refill), [&](client& c) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        for (int round = 0; round < 3; ++round) {
          int ok = 0;
          int pending = 4;
          asio::steady_timer all_done(ex, std::chrono::hours(1));
          for (int i = 0; i < 4; ++i)
            c.call("GetItem", "{}", [&](error_code ec, raw_response r) {
              CHECK_FALSE(ec);
              CHECK(r.diag.attempts == 1);
              if (!ec && r.body.rfind(R"({"n":)", 0) == 0) ++ok;
              if (--pending == 0) all_done.cancel();
            });
          co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
          CHECK(ok == 4);
        }
      });
      CHECK(server.connections() == 1);
      CHECK(server.requests() == 12);
    }
  }
}

// A reset or close that comes with the last bytes must end the requests in
// flight at once. The client is kept busy while the server answers and hangs
// up, so that one wake-up reports both: a reader that trusted TCP_INQ to skip
// the read after those bytes (it counts a FIN, not a reset; tried, see
// bench/README) waited here for the attempt timeout.
TEST_CASE("a reset or close arriving with the last bytes ends the requests in flight at once", "[fault]") {
  for (const auto end : {action::reset, action::close})
    for (const pipelining& p : every_pipelining) {
      const std::size_t depth = p.depth;
      DYNAMIC_SECTION((end == action::reset ? "reset, " : "close, ") << p.name) {
        // Request 0 opens the connection; the last one checks the pool.
        // Depth 1: request 1 gets half a response, then the end. Depth 4:
        // request 1 gets a whole response, then the end, with request 2
        // written behind it.
        fault_server server([&](const request_info& r) {
          if (r.index != 1) return action::ok();
          const std::string bytes = depth == 1 ? "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"Ite"
                                               : action::ok(R"({"n":1})").bytes;
          return action::raw(bytes, end).after(50ms);
        });
        with_client(one_connection(server, depth, p.refill), [&](client& c) -> asio::awaitable<void> {
          auto ex = co_await asio::this_coro::executor;
          auto [ec0, r0] = co_await get(c);
          REQUIRE_FALSE(ec0);
          const std::size_t n = depth == 1 ? 1 : 2;
          // Shared: if a check below fails, closing the client completes
          // these after this frame is gone.
          auto shared = std::make_shared<std::vector<std::optional<error_code>>>(n);
          auto& results = *shared;
          for (std::size_t i = 0; i < n; ++i)
            c.call("GetItem", "{}", request_safety::not_idempotent,
                   [shared, i](error_code ec, raw_response) { (*shared)[i] = ec; });
          asio::steady_timer tick(ex);
          while (server.requests() < 2) {  // request 1 has reached the server, which answers 50 ms later
            tick.expires_after(1ms);
            co_await tick.async_wait(asio::use_awaitable);
          }
          std::this_thread::sleep_for(150ms);  // busy: the answer and the end arrive before the client looks
          // The attempt timeout is an hour: only the end itself can complete them.
          while (std::any_of(results.begin(), results.end(), [](const auto& r) { return !r; })) {
            tick.expires_after(2ms);
            co_await tick.async_wait(asio::use_awaitable);
          }
          REQUIRE(results.back());
          CHECK(*results.back() == errc::connection_closed);
          if (depth > 1) {
            REQUIRE(results.front());
            CHECK_FALSE(*results.front());  // its whole response came before the end
          }
          auto [ec3, r3] = co_await get(c);  // and the pool still works
          CHECK_FALSE(ec3);
        });
      }
    }
}

// Batches (pipeline_refill = pipeline_depth): the reader waits until the
// bytes of the whole batch are in, counting each reply as the smallest seen
// on the connection. A reply smaller than all before leaves the socket short
// of that mark, and a slow server leaves it short for long: either way the
// stall checks let the reader take what has come once nothing more arrives,
// so replies are not held for their batch. The attempt timeout is an hour
// (one_connection): a reply held back hangs the test, and with_client's limit
// fails it. The checks' timing is measured in bench/README.md, and their
// decisions are tested without sockets (unit.transport).
TEST_CASE("batches: replies smaller than any before, or far apart, are not held back", "[fault]") {
  const std::string big = R"({"Item":{"pk":{"S":")" + std::string(2000, 'x') + R"("}}})";
  // Starts n GetItems at once and returns once all are done; on_each runs at each completion.
  auto batch = [](client& c, int n, std::function<void()> on_each) -> asio::awaitable<int> {
    auto ex = co_await asio::this_coro::executor;
    auto done = std::make_shared<int>(0);
    auto all_done = std::make_shared<asio::steady_timer>(ex, std::chrono::hours(1));
    for (int i = 0; i < n; ++i)
      c.call("GetItem", "{}", [=](error_code ec, raw_response) {
        CHECK_FALSE(ec);
        if (on_each) on_each();
        if (++*done == n) all_done->cancel();
      });
    co_await all_done->async_wait(asio::as_tuple(asio::use_awaitable));
    co_return *done;
  };
  const std::function<void()> nothing;

  SECTION("a batch of replies smaller than the first batch's") {
    fault_server server([&](const request_info& r) { return r.index < 4 ? action::ok(big) : action::ok(R"({"n":1})"); });
    with_client(one_connection(server, 4, 4), [&](client& c) -> asio::awaitable<void> {
      const int first = co_await batch(c, 4, nothing);
      REQUIRE(first == 4);
      const int second = co_await batch(c, 4, nothing);
      CHECK(second == 4);
    });
    CHECK(server.connections() == 1);
  }

  SECTION("the first reply of a batch is not held for the rest") {
    // The server answers the first request of the second batch and holds
    // the other three until the client has completed one: a reader waiting
    // for the whole batch would wait for ever (the server gives up after 20 s
    // and says so).
    std::atomic<bool> completed{false}, gave_up{false};
    fault_server server([&](const request_info& r) {
      if (r.index >= 5) {
        const auto until = std::chrono::steady_clock::now() + 20s;
        while (!completed && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
        if (!completed) gave_up = true;
      }
      return action::ok(r.index < 4 ? R"({"n":1})" : R"({"n":2})");
    });
    with_client(one_connection(server, 4, 4), [&](client& c) -> asio::awaitable<void> {
      (void)co_await batch(c, 4, nothing);  // the smallest reply is known from here on
      const std::function<void()> mark = [&] { completed = true; };
      const int second = co_await batch(c, 4, mark);
      CHECK(second == 4);
    });
    CHECK_FALSE(gave_up);
  }
}

namespace {
// Starts n GetItems at once, waits for all; returns how many got a {"n":...} body.
asio::awaitable<int> send_all_and_count(client& c, int n) {
  auto ex = co_await asio::this_coro::executor;
  int ok = 0;
  int pending = n;
  asio::steady_timer all_done(ex, std::chrono::hours(1));
  for (int i = 0; i < n; ++i)
    c.call("GetItem", "{}", [&](error_code ec, raw_response r) {
      if (!ec && r.body.rfind(R"({"n":)", 0) == 0) ++ok;
      if (--pending == 0) all_done.cancel();
    });
  co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return ok;
}
}  // namespace

TEST_CASE("pooled and pipelined concurrency: many requests, few connections", "[fault]") {
  for (const pipelining& p : every_pipelining) {
    DYNAMIC_SECTION(p.name) {
      fault_server server([](const request_info& r) { return action::ok(R"({"n":)" + std::to_string(r.index) + "}"); });
      auto cfg = config_for(server);
      cfg.pool_size = 4;
      cfg.pipeline_depth = p.depth;
      cfg.pipeline_refill = p.refill;
      with_client(cfg, [&](client& c) -> asio::awaitable<void> {
        const int ok = co_await send_all_and_count(c, 200);
        CHECK(ok == 200);
        CHECK(c.connections_opened() <= 4);
      });
      CHECK(server.requests() == 200);
    }
  }
}

// Bodies far larger than a TLS record (16 KB) and than the sockets' buffers:
// a write that cannot finish at once (the server reads 64 KB at a time), a
// batch of several big requests written together, replies of thousands of
// records arriving in pieces that split records. Run over TLS by
// fault.client_tls, over TCP by fault.client.
TEST_CASE("large requests and replies cross whole, alone and pipelined", "[fault]") {
  const std::string pad(1536 * 1024, 'r');
  fault_server server([&](const request_info& r) {
    const std::string size = std::to_string(r.body.size());
    const char last = r.body.size() > 2 ? r.body[r.body.size() - 3] : '?';
    return action::ok(R"({"n":)" + size + R"(,"last":")" + std::string(1, last) + R"(","pad":")" + pad + R"("})")
        .in_pieces(70000, 0ms);
  });
  for (const pipelining& p : every_pipelining) {
    DYNAMIC_SECTION(p.name) {
      auto cfg = config_for(server);
      cfg.pool_size = 1;
      cfg.pipeline_depth = p.depth;
      cfg.pipeline_refill = p.refill;
      cfg.attempt_timeout = std::chrono::hours(1);  // slow is fine (sanitizers); lost is not
      cfg.pool_wait_timeout = std::chrono::hours(1);
      with_client(cfg, [&](client& c) -> asio::awaitable<void> {
        constexpr int n = 4;
        int done = 0, ok = 0;
        std::string failures;
        for (int i = 0; i < n; ++i) {
          // 3 MB each, ending in a digit of its own, so a reply names its request.
          std::string body = R"({"x":")" + std::string(3 * 1024 * 1024, 'a') + std::to_string(i) + R"("})";
          c.call("PutItem", std::move(body), [&, i](error_code ec, raw_response r) {
            ++done;
            const std::string want = R"({"n":)" + std::to_string(3 * 1024 * 1024 + 9) + R"(,"last":")" + std::to_string(i);
            if (!ec && r.body.rfind(want, 0) == 0 && r.body.size() == want.size() + 9 + pad.size() + 2)
              ++ok;
            else
              failures += "request " + std::to_string(i) + ": " + (ec ? r.diag.message : r.body.substr(0, 40)) + "\n";
          });
        }
        asio::steady_timer t(co_await asio::this_coro::executor);
        while (done < n) {  // a lost reply hangs here, and with_client's limit fails the test
          t.expires_after(5ms);
          co_await t.async_wait(asio::use_awaitable);
        }
        INFO(failures);
        CHECK(ok == n);
        CHECK(c.connections_opened() == 1);
      }, std::chrono::seconds(120));
    }
  }
}

// A pipelined connection takes more requests only once pipeline_refill of its
// slots are free (by default half its depth; src/transport/transport.cpp), so requests
// reach the server in batches: with depth 8, every read of the server after the
// first carries at least 4 of them (the last may carry the remainder), and with
// refill 8, exactly 8 (a write only into an empty pipeline). Without the rule
// the client writes one or two per reply.
TEST_CASE("pipelining: requests leave in batches of pipeline_refill (default half the depth)", "[fault]") {
  for (std::size_t refill : {std::size_t{0}, std::size_t{8}, std::size_t{100}}) {
    DYNAMIC_SECTION("pipeline_refill " << refill) {
      fault_server server([](const request_info& r) { return action::ok(R"({"n":)" + std::to_string(r.index) + "}"); });
      auto cfg = config_for(server);
      cfg.pool_size = 1;
      cfg.pipeline_depth = 8;
      cfg.pipeline_refill = refill;  // 100: more than the depth counts as the depth
      const int n = 64;
      with_client(cfg, [&](client& c) -> asio::awaitable<void> {
        const int ok = co_await send_all_and_count(c, n);
        CHECK(ok == n);
      });
      const int least = refill == 0 ? 4 : 8;
      std::map<int, int> per_read;
      for (const auto& r : server.seen()) ++per_read[r.read];
      REQUIRE(per_read.size() >= 2);
      CHECK(per_read.begin()->second == 8);
      std::size_t small = 0;
      for (const auto& [read, count] : per_read) {
        INFO("read " << read << " carried " << count << " requests");
        if (count < least) ++small;
        CHECK(count <= 8);
      }
      CHECK(small <= (refill == 0 ? 1 : 0));  // 64 is a multiple of 8: no remainder
      CHECK(server.connections() == 1);
    }
  }
}

TEST_CASE("cancellation: the operation ends, the connection stays in step", "[fault]") {
  // The first reply is held until the client has cancelled (the server's
  // thread waits: replies go in order anyway; it gives up after 20 s).
  std::atomic<bool> cancelled{false};
  fault_server server([&](const request_info& r) {
    if (r.index != 0) return action::ok(R"({"later":1})");
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (!cancelled && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
    return action::ok(R"({"first":1})");
  });
  auto cfg = config_for(server);
  cfg.pool_size = 1;
  cfg.pipeline_depth = 4;
  // Rolling: the second request is written behind the cancelled one. Batches:
  // it waits for the cancelled one's reply, which is read and dropped.
  cfg.pipeline_refill = GENERATE(0u, 4u);
  with_client(cfg, [&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::cancellation_signal signal;
    std::optional<error_code> cancelled_ec;
    c.call("GetItem", "{}",
           asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, raw_response) { cancelled_ec = ec; }));
    asio::steady_timer t(ex);
    while (server.requests() < 1) {  // written and at the server (which holds its reply)
      t.expires_after(1ms);
      co_await t.async_wait(asio::use_awaitable);
    }
    signal.emit(asio::cancellation_type::terminal);
    cancelled = true;
    // Pipelined behind the cancelled one, on the same connection: gets its own reply.
    auto [ec, r] = co_await get(c);
    REQUIRE(cancelled_ec);
    CHECK(*cancelled_ec == asio::error::operation_aborted);
    CHECK_FALSE(ec);
    CHECK(r.body == R"({"later":1})");
    CHECK(c.connections_opened() == 1);
  });
}

// A client that lives in a coroutine and goes out of scope right after its
// last answer: the handler resumes the coroutine inline, the coroutine ends and
// destroys the client, and the transport must not touch itself afterwards.
TEST_CASE("a client destroyed as its last operations complete", "[fault]") {
  fault_server server([](const request_info&) { return action::ok(); });
  for (const pipelining& p : every_pipelining) {
    DYNAMIC_SECTION(p.name) {
      asio::io_context io;
      int answered = 0;
      auto cfg = config_for(server);
      cfg.pipeline_depth = p.depth;
      cfg.pipeline_refill = p.refill;
      auto scoped = [&]() -> asio::awaitable<void> {
        client c(co_await asio::this_coro::executor, cfg);
        for (int i = 0; i < 3; ++i) {
          auto [ec, r] = co_await get(c);
          if (!ec) ++answered;
        }
      };  // c is destroyed here, inside the completion of its last operation
      asio::co_spawn(io, scoped(), asio::detached);
      io.run_for(5s);
      CHECK(answered == 3);
    }
  }
}

TEST_CASE("closing the client completes pending operations", "[fault]") {
  fault_server server([](const request_info&) { return action::never(); });
  asio::io_context io;
  std::optional<error_code> got;
  {
    client c(io.get_executor(), config_for(server));
    c.call("GetItem", "{}", [&](error_code ec, raw_response) { got = ec; });
    io.run_for(100ms);
  }
  io.run_for(2s);
  REQUIRE(got);
  CHECK(*got == errc::client_closed);
}

TEST_CASE("bad configuration is refused with the setting to fix", "[fault]") {
  asio::io_context io;
  client_config cfg;
  cfg.region = "us-east-1";
  cfg.credentials = credentials{"AKID", secret_string("s"), {}};
  cfg.endpoint = "ftp://example.com";
  try {
    client c(io.get_executor(), cfg);
    FAIL("expected ddb::error");
  } catch (const ddb::error& e) {
    CHECK(e.code() == errc::invalid_endpoint);
    CHECK_THAT(std::string(e.what()), Catch::Contains("http:// or https://"));
  }
}

TEST_CASE("TLS: the peer is verified, host name included", "[fault]") {
  SECTION("a certificate for 127.0.0.1, trusted: works") {
    const auto id = ddb::test::make_self_signed("ddb test", "IP:127.0.0.1");
    fault_server server([](const request_info&) { return action::ok(); }, id.cert_pem, id.key_pem);
    auto cfg = config_for(server);
    cfg.ca_pem = id.cert_pem;
    with_client(cfg, [&](client& c) -> asio::awaitable<void> {
      CHECK(c.endpoint().tls);
      auto [ec, r] = co_await get(c);
      CHECK_FALSE(ec);
      CHECK(r.body == R"({"Item":{"pk":{"S":"a"}}})");
    });
  }
  SECTION("trusted through AWS_CA_BUNDLE (a PEM file), as the AWS CLI takes it: works; an unreadable one is named") {
    const auto id = ddb::test::make_self_signed("ddb test", "IP:127.0.0.1");
    fault_server server([](const request_info&) { return action::ok(); }, id.cert_pem, id.key_pem);
    const std::string pem = (std::filesystem::temp_directory_path() / ("ddb-ca-" + std::to_string(::getpid()) + ".pem")).string();
    std::ofstream(pem) << id.cert_pem;
    {
      ddb::test::aws_env env({{"AWS_CA_BUNDLE", pem}});
      with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
        auto [ec, r] = co_await get(c);
        CHECK_FALSE(ec);
      });
    }
    {
      ddb::test::aws_env env({{"AWS_CA_BUNDLE", pem + ".missing"}});
      try {
        asio::io_context io;
        client c(io.get_executor(), config_for(server));
        FAIL("expected an error");
      } catch (const ddb::error& e) {
        CHECK(e.code() == errc::invalid_config);
        CHECK_THAT(std::string(e.what()), Catch::Contains("(from AWS_CA_BUNDLE) cannot be read"));
      }
    }
    std::filesystem::remove(pem);
  }
  SECTION("a trusted certificate for another host name: refused") {
    const auto id = ddb::test::make_self_signed("wrong.example", "DNS:wrong.example");
    fault_server server([](const request_info&) { return action::ok(); }, id.cert_pem, id.key_pem);
    auto cfg = config_for(server);
    cfg.ca_pem = id.cert_pem;
    with_client(cfg, [&](client& c) -> asio::awaitable<void> {
      auto [ec, r] = co_await get(c);
      CHECK(ec == errc::connect_failed);
      CHECK_THAT(r.diag.message, Catch::Contains("TLS handshake failed"));
      CHECK_THAT(r.diag.message, Catch::Contains("IP address mismatch"));  // why, from the verification
    });
    CHECK(server.requests() == 0);  // nothing was sent to the impostor
  }
  SECTION("an untrusted certificate: refused") {
    const auto id = ddb::test::make_self_signed("ddb test", "IP:127.0.0.1");
    fault_server server([](const request_info&) { return action::ok(); }, id.cert_pem, id.key_pem);
    with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
      auto [ec, r] = co_await get(c);
      CHECK(ec == errc::connect_failed);
      CHECK_THAT(r.diag.message, Catch::Contains("certificate verify failed"));
      CHECK_THAT(r.diag.message, Catch::Contains("self-signed certificate"));
      CHECK_THAT(r.diag.message, Catch::Contains("client_config::ca_file"));  // and how to trust it
    });
    CHECK(server.requests() == 0);
  }
  SECTION("https:// to a server that answers in plain HTTP: the error says so and names http://") {
    // Answers whatever arrives as nginx answers garbage, on every connection.
    asio::io_context server_io;
    asio::ip::tcp::acceptor acceptor(server_io, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = acceptor.local_endpoint().port();
    std::function<void()> accept_next = [&] {
      acceptor.async_accept([&](error_code ec, asio::ip::tcp::socket s) {
        if (ec) return;
        auto sock = std::make_shared<asio::ip::tcp::socket>(std::move(s));
        auto buf = std::make_shared<std::array<char, 4096>>();
        sock->async_read_some(asio::buffer(*buf), [sock, buf](error_code, std::size_t) {
          static constexpr std::string_view reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
          asio::async_write(*sock, asio::buffer(reply), [sock](error_code, std::size_t) {});
        });
        accept_next();
      });
    };
    accept_next();
    std::thread server([&] { server_io.run(); });
    fault_server unused([](const request_info&) { return action::ok(); });
    auto cfg = config_for(unused);
    cfg.endpoint = "https://127.0.0.1:" + std::to_string(port);
    with_client(cfg, [&](client& c) -> asio::awaitable<void> {
      auto [ec, r] = co_await get(c);
      CHECK(ec == errc::connect_failed);
      CHECK_THAT(r.diag.message, Catch::Contains("TLS handshake failed"));
      CHECK_THAT(r.diag.message, Catch::Contains("did not answer in TLS") && Catch::Contains("use http://"));
    });
    server_io.stop();
    server.join();
  }
  SECTION("a new connection resumes the session of an earlier one (no certificate sent again)") {
    const auto id = ddb::test::make_self_signed("ddb test", "IP:127.0.0.1");
    fault_server server([](const request_info& r) { return action::ok(R"({"n":)" + std::to_string(r.index) + "}"); },
                        id.cert_pem, id.key_pem);
    auto cfg = config_for(server);
    cfg.ca_pem = id.cert_pem;
    cfg.pool_size = 4;
    with_client(cfg, [&](client& c) -> asio::awaitable<void> {
      auto [ec, r] = co_await get(c);  // the first connection: a full handshake, and tickets
      CHECK_FALSE(ec);
      // The server's tickets may follow its first reply (a separate write, read
      // later); they come before its second reply on the same connection, so
      // once that is read the pool holds them, however late they travelled.
      auto [ec2, r2] = co_await get(c);
      CHECK_FALSE(ec2);
      // Three at once: the first connection takes one, two new ones open and resume.
      const int ok = co_await send_all_and_count(c, 3);
      CHECK(ok == 3);
      // The first connection may have answered all three before the new ones
      // finished their handshakes: until the server has finished them.
      asio::steady_timer t(co_await asio::this_coro::executor);
      while (server.handshakes_done() < 3 && server.handshakes_failed() == 0) {
        t.expires_after(1ms);
        co_await t.async_wait(asio::use_awaitable);
      }
    });
    CHECK(server.connections() == 3);
    CHECK(server.handshakes_resumed() == 2);
  }
  SECTION("verification off (explicitly): accepted") {
    const auto id = ddb::test::make_self_signed("wrong.example", "DNS:wrong.example");
    fault_server server([](const request_info&) { return action::ok(); }, id.cert_pem, id.key_pem);
    auto cfg = config_for(server);
    cfg.verify_tls = false;
    with_client(cfg, [&](client& c) -> asio::awaitable<void> {
      auto [ec, r] = co_await get(c);
      CHECK_FALSE(ec);
    });
  }
}

TEST_CASE("a 200 response that is not the expected JSON is a clear error, not a wrong value", "[fault]") {
  fault_server server([](const request_info& r) {
    return r.index == 0 ? action::ok(R"({"Item":{"pk":{"S":5}}})") : action::ok(R"({"Item":{"pk")");
  });
  with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
    const get_item_request req{.table_name = "tbl", .key = item{{"pk", "a"}}};
    auto [ec, r] = co_await c.get_item(req, asio::as_tuple(asio::use_awaitable));
    CHECK(ec == errc::unexpected_json);
    CHECK_THAT(r.diag.message, Catch::Contains("DynamoDB's response could not be read: response.Item.pk.S"));
    auto [ec2, r2] = co_await c.get_item(req, asio::as_tuple(asio::use_awaitable));
    CHECK(ec2 == errc::invalid_json);
    CHECK(r2.diag.http_status == 200);
  });
}

TEST_CASE("a token that starts like null but is not one is an error of the operation, not an exception", "[fault]") {
  // Found by fuzzing: simdjson's is_null() on `n`, `nul`, `nulx` is an error
  // that the generated decoders once converted to bool, which threw out of the
  // completion handler and io_context::run().
  fault_server server([](const request_info& r) {
    return r.index == 0 ? action::ok(R"({"Item":n})") : action::ok(R"({"Count":nul})");
  });
  with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
    const get_item_request req{.table_name = "tbl", .key = item{{"pk", "a"}}};  // named: GCC 12 and co_await
    auto [ec, r] = co_await c.get_item(req, asio::as_tuple(asio::use_awaitable));
    CHECK(ec);
    CHECK_THAT(r.diag.message, Catch::Contains("DynamoDB's response could not be read: response.Item"));
    query_request q;
    q.table_name = "tbl";
    q.key_condition_expression = "pk = :p";
    q.expression_attribute_values = item{{":p", "a"}};
    auto [ec2, r2] = co_await c.query(q, asio::as_tuple(asio::use_awaitable));
    CHECK(ec2);
    CHECK_THAT(r2.diag.message, Catch::Contains("response.Count"));
    CHECK(r2.diag.http_status == 200);
  });
}

TEST_CASE("ddb::cancel_after bounds one operation and leaves the client usable", "[fault]") {
  // The first two requests are never answered (and the attempt timeout is an
  // hour): only the cancellation can end them.
  fault_server server([](const request_info& r) {
    return r.index < 2 ? action::never() : action::ok(R"({"Item":{"pk":{"S":"a"}}})");
  });
  auto cfg = config_for(server);
  cfg.attempt_timeout = std::chrono::hours(1);
  with_client(cfg, [&](client& c) -> asio::awaitable<void> {
    auto [ec, r] = co_await c.call("GetItem", "{}", ddb::cancel_after(100ms, asio::as_tuple(asio::use_awaitable)));
    CHECK(ec == asio::error::operation_aborted);
    try {
      const get_item_request req{.table_name = "tbl", .key = item{{"pk", "a"}}};
      co_await c.get_item(req, ddb::cancel_after(100ms));
      FAIL("expected cancellation");
    } catch (const ddb::error& e) {
      CHECK(e.code() == std::errc::operation_canceled);  // ddb::error holds a std::error_code
    }
    // Completing in time stops the timer; the result is the response.
    const get_item_request req{.table_name = "tbl", .key = item{{"pk", "a"}}};
    get_item_response ok = co_await c.get_item(req, ddb::cancel_after(5s));
    CHECK(ok.item.at("pk").as_string() == "a");
  });
}

TEST_CASE("connections idle past idle_timeout are replaced, not reused", "[fault]") {
  fault_server server([](const request_info&) { return action::ok(); });
  auto cfg = config_for(server);
  cfg.idle_timeout = 1s;  // longer than two requests take on a loaded machine
  with_client(cfg, [&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto [ec1, r1] = co_await get(c);
    auto [ec2, r2] = co_await get(c);  // right away: the same connection
    CHECK_FALSE(ec1);
    CHECK_FALSE(ec2);
    CHECK(c.connections_opened() == 1);
    asio::steady_timer t(ex, 1200ms);
    co_await t.async_wait(asio::use_awaitable);
    auto [ec3, r3] = co_await get(c);  // after the idle timeout: a new one
    CHECK_FALSE(ec3);
    CHECK(r3.diag.attempts == 1);
    CHECK(c.connections_opened() == 2);
    CHECK(c.open_connections() == 1);
  });
  CHECK(server.connections() == 2);
}

TEST_CASE("a host name is resolved (localhost), an IP address is used as it is", "[fault]") {
  fault_server server([](const request_info&) { return action::ok(); });
  auto cfg = config_for(server);
  cfg.endpoint = server.url("localhost");
  with_client(cfg, [&](client& c) -> asio::awaitable<void> {
    CHECK(c.endpoint().host_header == "localhost:" + std::to_string(server.port()));
    auto [ec, r] = co_await get(c);
    CHECK_FALSE(ec);
  });
  const auto seen = server.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].head.find("Host: localhost:" + std::to_string(server.port()) + "\r\n") != std::string::npos);
}

TEST_CASE("an operation name that would break the request is refused, nothing sent", "[fault]") {
  fault_server server([](const request_info&) { return action::ok(); });
  with_client(config_for(server), [&](client& c) -> asio::awaitable<void> {
    auto [ec, r] = co_await c.call("GetItem\r\nX-Evil: 1", "{}", asio::as_tuple(asio::use_awaitable));
    CHECK(ec == errc::invalid_header);
    CHECK_THAT(r.diag.message, Catch::Contains("alphanumeric"));
    auto [ec2, r2] = co_await get(c);  // the client is fine
    CHECK_FALSE(ec2);
  });
  CHECK(server.requests() == 1);
}

// GCC 12 destroyed the default argument's temporary in
// `ddb::client db(co_await asio::this_coro::executor)` twice (issue 23 item 6);
// the constructor now has no default argument. Under ASan (the suite's
// second run) a double destruction would abort here.
TEST_CASE("the client built inside co_await from this_coro::executor runs clean", "[fault]") {
  fault_server server([](const request_info&) { return action::ok(); });
  const std::string endpoint = server.url();
  ::setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint.c_str(), 1);
  ::setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  ::setenv("AWS_REGION", "us-east-1", 1);
  const std::string ca = (std::filesystem::temp_directory_path() / ("ddb-ca-" + std::to_string(::getpid()) + ".pem")).string();
  if (!server.implicit_ca().empty()) {  // the suite's TLS run: trusted as AWS_CA_BUNDLE
    std::ofstream(ca) << server.implicit_ca();
    ::setenv("AWS_CA_BUNDLE", ca.c_str(), 1);
  }
  asio::io_context io;
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        ddb::client db(co_await asio::this_coro::executor);
        raw_response r = co_await db.call("GetItem", R"({"TableName":"t","Key":{"pk":{"S":"a"}}})");
        CHECK(r.diag.http_status == 200);
        CHECK(db.settings().region == "us-east-1");
        done = true;
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  for (const char* v : {"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_CA_BUNDLE"})
    ::unsetenv(v);
  std::filesystem::remove(ca);
  CHECK(done);
}
