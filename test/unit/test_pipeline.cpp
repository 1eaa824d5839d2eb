// The transport's decisions without sockets: core/pool_state and
// core/pipeline driven by scripted events (connects, writes, reads, read-mark
// results, stall checks, a clock), every action they return checked; then a
// simulated pool run with an error injected at every I/O step in turn.
#include <catch2/catch.hpp>

#include <cerrno>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/pool_state.hpp"
#include "ddb/error.hpp"

using namespace ddb::detail;
using ddb::errc;
using std::chrono::milliseconds;

namespace {

std::chrono::steady_clock::time_point fake_now{std::chrono::seconds(1000)};
std::chrono::steady_clock::time_point fake_clock() noexcept { return fake_now; }

struct counting_hooks : pool_hooks {
  int posted = 0;
  void post_tell() override { ++posted; }
};

struct recording_owner : exchange_owner {
  std::vector<exchange_ptr> told;
  void exchange_done(exchange_ptr e) override { told.push_back(std::move(e)); }
};

std::string reply(const std::string& body, bool keep_alive = true) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         (keep_alive ? "" : "Connection: close\r\n") + "\r\n" + body;
}

// A pool with fake connections: "open" actions become pipelines the test
// holds; a write action's step is returned for the test to check.
struct rig {
  counting_hooks hooks;
  pool_state pool;
  bool coalesce;
  std::shared_ptr<recording_owner> owner = std::make_shared<recording_owner>();
  std::vector<std::shared_ptr<pipeline>> made;

  explicit rig(pool_settings s, bool coalesce_reads = false) : pool(with_clock(s), hooks), coalesce(coalesce_reads) {}
  static pool_settings with_clock(pool_settings s) {
    s.clock = &fake_clock;
    return s;
  }

  exchange_ptr submit(const std::string& request) {
    auto e = std::make_shared<exchange>();
    e->request = request;
    e->owner = owner;
    if (pool.submit(e) == pool_state::submitted::flush) pool.flush();
    return e;
  }

  // Runs kick; opens become pipelines; returns what it asked for.
  std::vector<pool_action> kick() {
    const auto span = pool.kick();
    std::vector<pool_action> out(span.begin(), span.end());
    pool.actions_done();
    for (const auto& a : out)
      if (a.k == pool_action::kind::open) {
        auto c = std::make_shared<pipeline>(pool, coalesce);
        pool.adopt(c);
        made.push_back(c);
      }
    return out;
  }

  // Opens a connection, connects it and lets it write what it takes.
  std::shared_ptr<pipeline> one_written() {
    kick();
    auto c = made.back();
    pool.on_connected(*c);
    kick();
    c->on_write_done({});
    return c;
  }

  // Tells what finished, as the posted call would.
  std::size_t tell() {
    const std::size_t before = owner->told.size();
    if (hooks.posted > 0) {
      hooks.posted = 0;
      pool.tell();
    }
    return owner->told.size() - before;
  }

  // Feeds bytes to c as one read; returns the step.
  static conn_step read(pipeline& c, std::string& buffered, const std::string& bytes) {
    buffered += bytes;
    std::size_t used = 0;
    const conn_step s = c.on_bytes(bytes.size(), buffered, used);
    buffered.erase(0, used);
    return s;
  }
};

std::size_t count(const std::vector<pool_action>& a, pool_action::kind k) {
  std::size_t n = 0;
  for (const auto& x : a) n += x.k == k;
  return n;
}

pool_settings settings(std::size_t pool_size, std::size_t depth = 1, std::size_t refill = 0) {
  pool_settings s;
  s.pool_size = pool_size;
  s.depth = depth;
  s.refill = refill;
  s.max_response_bytes = 1024;
  s.idle_timeout = milliseconds(50000);
  return s;
}

}  // namespace

TEST_CASE("pool: one exchange opens one connection, is written once it is open, and is told once answered",
          "[transport]") {
  rig r(settings(4));
  auto e = r.submit("GET1");
  CHECK(r.pool.waiting() == 1);
  auto a = r.kick();
  REQUIRE(a.size() == 1);
  CHECK(a[0].k == pool_action::kind::open);
  CHECK(r.pool.connecting() == 1);
  CHECK(r.kick().empty());  // one connecting for one waiting: no second connection
  auto& c = *r.made.at(0);
  CHECK(c.st() == pipeline::state::connecting);

  r.pool.on_connected(c);
  CHECK(r.pool.connecting() == 0);
  a = r.kick();
  REQUIRE(a.size() == 1);
  CHECK(a[0].k == pool_action::kind::write);
  CHECK(a[0].conn.get() == &c);
  CHECK(a[0].step == conn_step{.write = true});
  REQUIRE(c.batch().size() == 1);
  CHECK(c.batch()[0] == e);
  CHECK(e->st == exchange::state::written);
  CHECK(e->connection == c.id());
  CHECK(r.pool.waiting() == 0);

  CHECK(c.on_write_done({}) == conn_step{});
  CHECK(c.batch().empty());
  std::string buf;
  CHECK(rig::read(c, buf, reply("{}")) == conn_step{});
  CHECK(buf.empty());
  CHECK(e->st == exchange::state::done);
  CHECK(r.hooks.posted == 1);
  CHECK(r.tell() == 1);
  CHECK(r.owner->told[0] == e);
  CHECK(e->response.status == 200);
  CHECK(e->response.body == "{}");
  CHECK(!e->ec);
  CHECK(e->owner == nullptr);  // let go before being told
}

TEST_CASE("pool: without pipelining, a connection per waiting exchange up to pool_size; the next one waits",
          "[transport]") {
  rig r(settings(2));
  auto e1 = r.submit("1"), e2 = r.submit("2"), e3 = r.submit("3");
  CHECK(count(r.kick(), pool_action::kind::open) == 2);
  CHECK(r.pool.connecting() == 2);
  for (auto& c : r.made) r.pool.on_connected(*c);
  auto a = r.kick();
  CHECK(count(a, pool_action::kind::write) == 2);
  CHECK(r.pool.waiting() == 1);
  auto& c = *a[0].conn;
  CHECK(c.on_write_done({}) == conn_step{});  // one in flight: no room at depth 1
  std::string buf;
  // The answer frees the connection, which takes the third at once.
  const conn_step s = rig::read(c, buf, reply("a"));
  CHECK(s == conn_step{.write = true});
  CHECK(c.batch().at(0) == e3);
  CHECK(r.pool.waiting() == 0);
}

TEST_CASE("pipeline: depth 16 writes 16 at once, takes more only when refill slots are free", "[transport]") {
  rig r(settings(1, 16, 8));
  std::vector<exchange_ptr> ex;
  for (int i = 0; i < 20; ++i) ex.push_back(r.submit("r" + std::to_string(i)));
  CHECK(count(r.kick(), pool_action::kind::open) == 1);
  auto& c = *r.made[0];
  r.pool.on_connected(c);
  auto a = r.kick();
  REQUIRE(a.size() == 1);
  CHECK(c.batch().size() == 16);
  CHECK(c.load() == 16);
  CHECK(!c.can_take());
  CHECK(c.on_write_done({}) == conn_step{});
  std::string buf;
  for (int i = 0; i < 7; ++i) CHECK(rig::read(c, buf, reply("x")) == conn_step{.kick = true});  // 9..15 in flight: no room
  const conn_step s = rig::read(c, buf, reply("x"));  // 8 free: the remaining 4 leave in one write
  CHECK(s == conn_step{.write = true});
  REQUIRE(c.batch().size() == 4);
  CHECK(c.batch()[0] == ex[16]);
  CHECK(c.batch()[3] == ex[19]);
  CHECK(c.load() == 12);
  CHECK(r.tell() == 8);
  for (int i = 0; i < 8; ++i) CHECK(r.owner->told[i] == ex[i]);  // answers matched in order
}

TEST_CASE("pipeline: the default refill is half the depth, rounded up", "[transport]") {
  CHECK(rig(settings(1, 16)).pool.refill_slots() == 8);
  CHECK(rig(settings(1, 5)).pool.refill_slots() == 3);
  CHECK(rig(settings(1, 1)).pool.refill_slots() == 1);
  CHECK(rig(settings(1, 4, 9)).pool.refill_slots() == 4);
  CHECK(rig(settings(1, 0)).pool.settings().depth == 1);
}

TEST_CASE("pool: pipelined work goes to the least loaded connection that can take it", "[transport]") {
  rig r(settings(2, 4, 4));
  for (int i = 0; i < 2; ++i) r.submit("a");
  CHECK(count(r.kick(), pool_action::kind::open) == 2);
  for (auto& c : r.made) r.pool.on_connected(*c);
  auto a = r.kick();  // both idle: the last connected first, then the other
  REQUIRE(count(a, pool_action::kind::write) == 1);
  auto* busy = a[0].conn.get();
  CHECK(busy->load() == 2);
  CHECK(busy->on_write_done({}) == conn_step{});
  r.submit("b");
  a = r.kick();
  REQUIRE(a.size() == 1);
  CHECK(a[0].conn.get() != busy);  // the idle one
  CHECK(a[0].conn->load() == 1);
}

TEST_CASE("pool: waiting work fails with connect_failed only when no connection is left to take it",
          "[transport]") {
  rig r(settings(2));
  auto e1 = r.submit("1"), e2 = r.submit("2");
  r.kick();
  REQUIRE(r.made.size() == 2);
  r.pool.on_connect_failed(*r.made[0], "connecting to x: refused");
  CHECK(r.made[0]->closed());
  CHECK(r.pool.connections() == 1);
  CHECK(r.pool.waiting() == 2);  // the other may still connect
  CHECK(r.hooks.posted == 0);
  r.pool.abandon(e2, false);
  CHECK(r.pool.waiting() == 1);
  r.pool.on_connect_failed(*r.made[1], "connecting to x: refused");
  CHECK(r.pool.waiting() == 0);
  CHECK(r.tell() == 1);
  CHECK(r.owner->told[0] == e1);
  CHECK(e1->ec == make_error_code(errc::connect_failed));
  CHECK(!e1->maybe_applied);
  CHECK(e1->error_detail == "connecting to x: refused");
  CHECK(e2->st == exchange::state::waiting);  // abandoned: left alone, not told
  r.pool.on_connect_failed(*r.made[1], "twice");  // a late second report changes nothing
  CHECK(r.pool.connecting() == 0);
}

TEST_CASE("pool: an idle connection past idle_timeout is closed when taken, and another is opened", "[transport]") {
  rig r(settings(1));
  r.submit("1");
  auto c = r.one_written();
  std::string buf;
  rig::read(*c, buf, reply("a"));
  r.tell();
  fake_now += milliseconds(50001);
  r.submit("2");
  const auto a = r.kick();
  REQUIRE(a.size() == 2);
  CHECK(a[0].k == pool_action::kind::close);
  CHECK(a[0].conn == c);
  CHECK(c->closed());
  CHECK(a[1].k == pool_action::kind::open);
  CHECK(r.pool.waiting() == 1);
  CHECK(r.hooks.posted == 0);  // nothing was in flight
}

TEST_CASE("pipeline: an abandoned exchange leaves the queue if waiting; written, its reply is read and dropped",
          "[transport]") {
  rig r(settings(1, 4, 4));
  auto e1 = r.submit("1"), e2 = r.submit("2"), e3 = r.submit("3");
  r.pool.abandon(e3, false);
  CHECK(r.pool.waiting() == 2);
  r.kick();
  auto& c = *r.made[0];
  r.pool.on_connected(c);
  r.kick();
  CHECK(c.load() == 2);
  c.on_write_done({});
  r.pool.abandon(e1, false);
  CHECK(c.load() == 2);  // still in step with the server
  std::string buf;
  rig::read(c, buf, reply("one") + reply("two"));
  CHECK(r.tell() == 1);
  CHECK(r.owner->told[0] == e2);
  CHECK(e2->response.body == "two");
}

TEST_CASE("pool: abandoning with close_connection closes that connection with attempt_timeout", "[transport]") {
  rig r(settings(2, 4, 4));
  auto e1 = r.submit("1"), e2 = r.submit("2");
  r.kick();
  for (auto& c : r.made) r.pool.on_connected(*c);
  r.kick();
  auto c = r.made[1];  // the last connected took both
  REQUIRE(c->load() == 2);
  auto closed = r.pool.abandon(e1, true);
  CHECK(closed == c);
  CHECK(c->closed());
  CHECK(r.pool.connections() == 1);
  CHECK(r.tell() == 1);  // e1 abandoned: only e2 told
  CHECK(r.owner->told[0] == e2);
  CHECK(e2->ec == make_error_code(errc::connection_closed));
  CHECK(e2->maybe_applied);
  CHECK(r.pool.abandon(e2, true) == nullptr);  // its connection is gone already
}

TEST_CASE("pipeline: how a connection ends", "[transport]") {
  rig r(settings(1, 4, 4));
  std::vector<exchange_ptr> ex;
  for (int i = 0; i < 3; ++i) ex.push_back(r.submit(std::to_string(i)));
  auto c = r.one_written();
  std::string buf;

  SECTION("Connection: close delivers that reply, then fails the rest as maybe applied") {
    CHECK(rig::read(*c, buf, reply("a", false)) == conn_step{.close = true});
    CHECK(r.tell() == 3);
    CHECK(!ex[0]->ec);
    CHECK(ex[1]->ec == make_error_code(errc::connection_closed));
    CHECK(ex[1]->error_detail == "the server closed the connection (Connection: close)");
    CHECK(ex[2]->maybe_applied);
  }
  SECTION("bytes nobody asked for") {
    CHECK(rig::read(*c, buf, reply("a") + reply("b") + reply("c") + "HTTP/1.1") == conn_step{.close = true});
    CHECK(r.tell() == 3);
    for (auto& e : ex) CHECK(!e->ec);
    CHECK(c->closed());
  }
  SECTION("an unparsable reply fails the first with invalid_response, the others with connection_closed") {
    CHECK(rig::read(*c, buf, "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n") == conn_step{.close = true});
    CHECK(r.tell() == 3);
    CHECK(ex[0]->ec == make_error_code(errc::invalid_response));
    CHECK(ex[0]->error_detail.rfind("unparsable HTTP response: ", 0) == 0);
    CHECK(ex[1]->ec == make_error_code(errc::connection_closed));
  }
  SECTION("a body over max_response_bytes") {
    CHECK(rig::read(*c, buf, reply(std::string(2000, 'x'))) == conn_step{.close = true});
    r.tell();
    CHECK(ex[0]->ec == make_error_code(errc::body_too_large));
  }
  SECTION("a reply framed by the end of the connection is delivered by eof") {
    CHECK(rig::read(*c, buf, "HTTP/1.1 200 OK\r\n\r\nto the end") == conn_step{});
    CHECK(c->on_read_error(true, "End of file") == conn_step{.close = true});
    CHECK(r.tell() == 3);
    CHECK(!ex[0]->ec);
    CHECK(ex[0]->response.body == "to the end");
    CHECK(ex[1]->error_detail == "the server closed the connection");
  }
  SECTION("a reset in the middle of a reply") {
    CHECK(rig::read(*c, buf, reply("abc").substr(0, 20)) == conn_step{});
    CHECK(c->on_read_error(false, "Connection reset by peer") == conn_step{.close = true});
    CHECK(r.tell() == 3);
    CHECK(ex[0]->ec == make_error_code(errc::connection_closed));
    CHECK(ex[0]->error_detail == "read failed: Connection reset by peer");
    CHECK(ex[0]->maybe_applied);
  }
  // Whatever ended it, later events change nothing.
  c->close(make_error_code(errc::client_closed), "again");
  CHECK(c->closed());
  std::size_t used = 0;
  CHECK(c->on_bytes(3, "abc", used) == conn_step{});
  CHECK(c->on_read_error(true, "") == conn_step{});
  CHECK(c->on_write_done({}) == conn_step{});
  CHECK(r.tell() == 0);
}

TEST_CASE("pipeline: a failed write fails what it carried as maybe applied", "[transport]") {
  rig r2(settings(1));
  auto e = r2.submit("x");
  r2.kick();
  r2.pool.on_connected(*r2.made[0]);
  r2.kick();
  CHECK(r2.made[0]->on_write_done(make_error_code(boost::system::errc::broken_pipe)) == conn_step{.close = true});
  r2.tell();
  CHECK(e->ec == make_error_code(errc::connection_closed));
  CHECK(e->error_detail.rfind("write failed: ", 0) == 0);
  CHECK(e->maybe_applied);
}

TEST_CASE("pipeline: batch reads set the mark to the bytes due, drop it on a stall, slow the checks when idle",
          "[transport]") {
  rig r(settings(1, 4, 4), true);
  for (int i = 0; i < 4; ++i) r.submit("q");
  auto& c = *r.one_written();
  const std::string one = reply("0123456789");
  std::string buf;
  // No reply seen yet: no mark. The first sets the size: 3 more due.
  const conn_step s = rig::read(c, buf, one);
  CHECK(s == conn_step{.mark = 3 * one.size(), .arm_stall = true});
  CHECK(c.on_mark_result(s.mark, 0, "") == conn_step{});
  CHECK(c.read_mark() == 3 * one.size());
  // Part of the next reply in hand: the mark counts it, the stall check is armed already.
  const conn_step s2 = rig::read(c, buf, one.substr(0, 5));
  CHECK(s2 == conn_step{.mark = 3 * one.size() - 5});
  c.on_mark_result(s2.mark, 0, "");

  // The stall timer: bytes queued and some progress since the last check: check again soon.
  c.stall_timer_done();
  REQUIRE(c.stall_check_due());
  CHECK(c.on_stall_check(7) == conn_step{.arm_stall = true});
  CHECK(c.stall_period() == milliseconds(1));
  c.stall_timer_done();
  // The same bytes queued and none read since: the rest is not coming soon, the mark drops.
  CHECK(c.on_stall_check(7) == conn_step{.mark = 1});
  c.on_mark_result(1, 0, "");
  CHECK(!c.stall_check_due());

  SECTION("nothing queued: the checks slow down to 8 ms") {
    rig r2(settings(1, 2, 2), true);
    r2.submit("a");
    r2.submit("b");
    auto& d = *r2.one_written();
    std::string b2;
    const conn_step m = rig::read(d, b2, one);
    d.on_mark_result(m.mark, 0, "");
    for (int expect : {2, 4, 8, 8}) {
      d.stall_timer_done();
      CHECK(d.on_stall_check(0) == conn_step{.arm_stall = true});
      CHECK(d.stall_period() == milliseconds(expect));
    }
  }
  SECTION("a mark the socket refuses while high closes the connection; while low, reads go on unmarked") {
    const conn_step up = rig::read(c, buf, one.substr(5));  // reply 2 whole: 2 due
    CHECK(up.mark == 2 * one.size());
    CHECK(c.on_mark_result(up.mark, 0, "") == conn_step{});
    CHECK(c.on_mark_result(9, EINVAL, "Invalid argument") == conn_step{.close = true});
    CHECK(r.tell() == 4);
    CHECK(r.owner->told[2]->error_detail == "SO_RCVLOWAT could not be changed: Invalid argument");

    rig r3(settings(1, 2, 2), true);
    r3.submit("a");
    r3.kick();
    auto& d = *r3.made[0];
    r3.pool.on_connected(d);
    r3.kick();
    CHECK(d.on_mark_result(5, ENOPROTOOPT, "Protocol not available") == conn_step{});
    CHECK(!d.coalescing_reads());
    CHECK(!d.closed());
  }
}

TEST_CASE("pool: close fails what waits and what is in flight; a later submit fails at once", "[transport]") {
  rig r(settings(2));
  auto e1 = r.submit("1"), e2 = r.submit("2"), e3 = r.submit("3");
  r.kick();
  r.pool.on_connected(*r.made[0]);
  r.kick();
  const auto conns = r.pool.close();
  CHECK(conns.size() == 2);
  for (auto& c : conns) CHECK(c->closed());
  CHECK(r.pool.connecting() == 0);
  CHECK(r.tell() == 3);
  for (auto& e : {e1, e2, e3}) CHECK(e->ec == make_error_code(errc::client_closed));
  CHECK(e1->maybe_applied);  // written
  CHECK(!e2->maybe_applied);
  auto e4 = r.submit("4");
  CHECK(r.tell() == 1);
  CHECK(e4->ec == make_error_code(errc::client_closed));
  CHECK(r.kick().empty());
  CHECK(r.pool.close().empty());
}

TEST_CASE("pool: an owner may destroy the pool while it is told", "[transport]") {
  counting_hooks hooks;
  auto pool = std::make_unique<pool_state>(rig::with_clock(settings(1)), hooks);
  struct destroying_owner : exchange_owner {
    std::unique_ptr<pool_state>* pool;
    int told = 0;
    void exchange_done(exchange_ptr) override {
      ++told;
      pool->reset();
    }
  };
  auto owner = std::make_shared<destroying_owner>();
  owner->pool = &pool;
  std::vector<exchange_ptr> ex;
  for (int i = 0; i < 2; ++i) {
    ex.push_back(std::make_shared<exchange>());
    ex.back()->owner = owner;
    pool->submit(ex.back());
  }
  pool->close();
  REQUIRE(hooks.posted == 1);
  pool->tell();
  CHECK(pool == nullptr);
  CHECK(owner->told == 2);  // the batch was the call's own
}

// A pool run end to end over simulated I/O: connects, writes and reads (each
// reply in two pieces) complete one at a time in a fixed order. Run once
// cleanly to count the steps, then again with an error at each step in turn:
// every exchange is told exactly once, an answer always belongs to its own
// request, and nothing is left waiting.
namespace {
struct sim {
  struct conn {
    std::shared_ptr<pipeline> p;
    bool write_pending = false;
    std::vector<std::string> unanswered;  // written, at the server
    std::string pending_reply;            // the server's bytes not yet read
    std::string buffered;                 // read, not consumed
  };
  rig r;
  std::vector<conn> conns;
  std::map<exchange*, int> told;
  int step = 0;
  int inject_at;

  sim(pool_settings s, int inject) : r(s, true), inject_at(inject) {}

  conn* find(pipeline* p) {
    for (auto& c : conns)
      if (c.p.get() == p) return &c;
    return nullptr;
  }
  void carry(conn& c, conn_step s) {
    if (s.close) return kick();
    if (s.write) c.write_pending = true;
    if (s.mark && c.p->on_mark_result(s.mark, 0, "").close) return kick();
    if (s.kick) kick();
  }
  void kick() {
    for (const auto& a : r.kick()) {
      if (a.k == pool_action::kind::write) carry(*find(a.conn.get()), a.step);
    }
    // the connections the kick opened
    for (auto& m : r.made)
      if (!find(m.get())) conns.push_back({m});
  }
  void tell() {
    r.tell();
    for (auto& e : r.owner->told) ++told[e.get()];
    r.owner->told.clear();
  }
  bool fail_now() { return step++ == inject_at; }

  // One I/O completion; false when nothing is left to do.
  bool io() {
    for (auto& c : conns) {
      auto& p = *c.p;
      if (p.closed()) continue;
      if (p.st() == pipeline::state::connecting) {
        if (fail_now()) {
          r.pool.on_connect_failed(p, "connect refused (injected)");
          kick();
        } else {
          r.pool.on_connected(p);
          kick();
        }
        return true;
      }
      if (c.write_pending) {
        c.write_pending = false;
        const bool fail = fail_now();
        if (!fail)
          for (auto& e : p.batch()) c.unanswered.push_back(e->request);
        carry(c, p.on_write_done(fail ? make_error_code(boost::system::errc::broken_pipe) : boost::system::error_code{}));
        return true;
      }
      if (c.pending_reply.empty() && !c.unanswered.empty()) {
        c.pending_reply = reply("answer to " + c.unanswered.front());
        c.unanswered.erase(c.unanswered.begin());
      }
      if (!c.pending_reply.empty()) {
        if (fail_now()) {
          carry(c, p.on_read_error(false, "reset (injected)"));
          return true;
        }
        const std::size_t n = std::min<std::size_t>(c.pending_reply.size(), 16);
        const std::string piece = c.pending_reply.substr(0, n);
        c.pending_reply.erase(0, n);
        carry(c, rig::read(p, c.buffered, piece));
        return true;
      }
    }
    return false;
  }
};
}  // namespace

TEST_CASE("pool: an error injected at every I/O step loses nothing and mixes up no answers", "[transport]") {
  for (std::size_t depth : {1, 4}) {
    auto run = [&](int inject_at) {
      sim s(settings(2, depth, depth), inject_at);
      std::vector<exchange_ptr> ex;
      for (int i = 0; i < 6; ++i) ex.push_back(s.r.submit("request " + std::to_string(i)));
      s.kick();
      int guard = 0;
      while (s.io() && ++guard < 10000) s.tell();
      s.tell();
      INFO("depth " << depth << ", error at step " << inject_at);
      CHECK(s.r.pool.waiting() == 0);
      for (auto& e : ex) {
        CHECK(s.told[e.get()] == 1);
        CHECK(e->st == exchange::state::done);
        if (!e->ec) CHECK(e->response.body == "answer to " + e->request);
        if (e->ec == make_error_code(errc::connect_failed)) CHECK(!e->maybe_applied);
      }
      return s.step;
    };
    const int steps = run(-1);
    CHECK(steps > 10);
    for (int k = 0; k < steps; ++k) run(k);
  }
}
