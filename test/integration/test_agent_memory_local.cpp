// ddb::agent::memory against DynamoDB Local: appends read back newest first
// and paged, conversations listed, compressed and split messages, a run's
// messages through the index, two clients appending to one conversation at
// once (every message once, one stable order), summaries racing appends and
// each other (nothing lost), removal, bad input.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <set>

#include "ddb/agent/memory.hpp"
#include "ddb/client.hpp"
#include "ddb/model.hpp"
#include "support/local_helpers.hpp"

using namespace ddb;
using namespace ddb::agent;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace ddb::test;

namespace {

// Every message of a conversation, oldest first (consistent pages of 7).
asio::awaitable<std::vector<message>> everything(memory& mem, const std::string& user, const std::string& conv) {
  std::vector<message> out;
  read_options opt;
  opt.limit = 7;
  opt.consistent = true;
  for (;;) {
    message_page page = co_await mem.last(user, conv, opt);
    out.insert(out.end(), page.messages.begin(), page.messages.end());
    if (!page.next) break;
    opt.before = page.next;
  }
  std::reverse(out.begin(), out.end());
  co_return out;
}

}  // namespace

TEST_CASE("memory: appends read back newest first, paged, listed; compressed, split, and by run", "[agent-local]") {
  const std::string table = ddb::test::fresh_table("mem_basic");
  with_local([&](client& c) -> asio::awaitable<void> {
    memory_options opt;
    opt.compress_above = 1000;
    memory mem(c, {.table_name = table, .create_table = true}, opt);
    const std::string user = "user-1", conv = "support", run = "run-9", empty;
    for (int i = 0; i < 25; ++i) {
      const std::string text = "message " + std::to_string(i), role = i % 2 ? "assistant" : "user";
      appended a = co_await mem.append(user, conv, role, text, i < 3 ? run : empty);
      CHECK(a.items == 1);
    }
    read_options opt20;
    opt20.limit = 20;
    message_page last = co_await mem.last(user, conv, opt20);
    REQUIRE(last.messages.size() == 20);
    CHECK(last.messages.front().content == "message 24");
    CHECK(last.messages.back().content == "message 5");
    REQUIRE(last.next);
    read_options older = opt20;
    older.before = last.next;
    message_page rest = co_await mem.last(user, conv, older);
    REQUIRE(rest.messages.size() == 5);
    CHECK(rest.messages.front().content == "message 4");
    CHECK(rest.messages.back().content == "message 0");
    CHECK_FALSE(rest.next);
    std::vector<message> all = co_await everything(mem, user, conv);
    REQUIRE(all.size() == 25);
    for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].id < all[i].id);

    // Compressed above the threshold; split over parts when large (1.2 MB of
    // noise does not compress).
    const std::string big_text(50'000, 'z');
    appended zipped = co_await mem.append(user, "other", "tool", big_text, empty);
    CHECK(zipped.stored_bytes < 1000);
    std::string noise(1'200'000, '\0');
    std::uint64_t x = 88172645463325252ull;
    for (char& ch : noise) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      ch = static_cast<char>('a' + x % 26);
    }
    appended split = co_await mem.append(user, "other", "tool", noise, empty);
    CHECK(split.stored_bytes > 350'000);  // 26 letters compress to about 5 bits each: still over one item
    const int parts = static_cast<int>((split.stored_bytes + 349'999) / 350'000);
    CHECK(split.items == 1 + parts);  // the message and its parts
    message_page other = co_await mem.last(user, "other", opt20);
    REQUIRE(other.messages.size() == 2);
    CHECK(other.messages[0].content == noise);
    CHECK(other.messages[1].content == big_text);
    CHECK(other.messages[1].compressed);

    conversation_page convs = co_await mem.conversations(user, empty, 10);
    REQUIRE(convs.conversations.size() == 2);
    CHECK(convs.conversations[0].conversation == "other");
    CHECK(convs.conversations[1].conversation == "support");
    conversation_page one = co_await mem.conversations(user, empty, 1);
    REQUIRE(one.next);
    conversation_page two = co_await mem.conversations(user, *one.next, 1);
    CHECK(two.conversations.at(0).conversation == "support");

    message_page by_run = co_await mem.run_messages(run);
    REQUIRE(by_run.messages.size() == 3);
    CHECK(by_run.messages[0].content == "message 0");
    CHECK(by_run.messages[2].content == "message 2");
    CHECK(by_run.messages[2].run_id == run);

    // Every item carries the TTL (30 days by default).
    scan_request sc;
    sc.table_name = table;
    auto items = co_await c.scan(sc);
    for (const item& it : items.items) CHECK(it.find("expires_at"));

    removed gone = co_await mem.remove(user, "other");
    CHECK(gone.items == static_cast<std::size_t>(2 + parts + 1));  // 2 messages, the parts, the conversation
    message_page none = co_await mem.last(user, "other", opt20);
    CHECK(none.messages.empty());
    CHECK(co_await items_in(c, table) == 26);  // 25 messages and their conversation
  });
}

TEST_CASE("memory: last() fills its page past DynamoDB's 1 MB Query page, up to 16 MB of content", "[agent-local]") {
  // Six messages of 300 KB (kept in their own items) are 1.8 MB: one Query
  // page holds three. The landing check once lost the older ones: last()
  // returned the first 1 MB page only.
  const std::string table = ddb::test::fresh_table("mem_big");
  with_local([&](client& c) -> asio::awaitable<void> {
    memory mem(c, {.table_name = table, .create_table = true});
    const std::string user = "u", conv = "c", none;
    for (int i = 0; i < 6; ++i)
      co_await mem.append(user, conv, "user", std::to_string(i) + std::string(300'000, 'x'), none);
    read_options all;
    all.limit = 20;
    all.consistent = true;
    message_page page = co_await mem.last(user, conv, all);
    REQUIRE(page.messages.size() == 6);
    for (int i = 0; i < 6; ++i) CHECK(page.messages[static_cast<std::size_t>(i)].content.substr(0, 1) == std::to_string(5 - i));
    CHECK_FALSE(page.next);
    read_options five = all;
    five.limit = 5;
    message_page first = co_await mem.last(user, conv, five);
    REQUIRE(first.messages.size() == 5);
    REQUIRE(first.next);
    five.before = first.next;
    message_page rest = co_await mem.last(user, conv, five);
    REQUIRE(rest.messages.size() == 1);
    CHECK(rest.messages[0].content.substr(0, 1) == "0");
    CHECK(rest.messages[0].content.size() == 300'001);
    CHECK_FALSE(rest.next);

    // Split messages (3.5 MB each, in parts) are small items: a page of them
    // stops at 16 MB of content with `next`, not at gigabytes.
    co_await mem.append(user, "huge", "user", "oldest", none);
    for (int i = 0; i < 5; ++i) co_await mem.append(user, "huge", "tool", std::string(3'500'000, char('a' + i)), none);
    message_page huge = co_await mem.last(user, "huge", all);
    REQUIRE(huge.messages.size() == 5);  // 17.5 MB: past the budget after the fifth
    CHECK(huge.messages[0].content == std::string(3'500'000, 'e'));
    REQUIRE(huge.next);
    read_options after_huge = all;
    after_huge.before = huge.next;
    message_page oldest = co_await mem.last(user, "huge", after_huge);
    REQUIRE(oldest.messages.size() == 1);
    CHECK(oldest.messages[0].content == "oldest");
    CHECK_FALSE(oldest.next);
  });
}

TEST_CASE("memory: two clients append to one conversation at once; every message once, one stable order",
          "[agent-local]") {
  const std::string table = ddb::test::fresh_table("mem_race");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    { memory create(c, {.table_name = table, .create_table = true}); (void)co_await create.conversations("u", "", 1); }
    client a(ex), b(ex);
    int finished = 0;
    for (client* cl : {&a, &b}) {
      asio::co_spawn(ex, [&, cl]() -> asio::awaitable<void> {
        memory mem(*cl, {.table_name = table});
        for (int i = 0; i < 60; ++i) {
          const std::string text = (cl == &a ? "a" : "b") + std::to_string(i), role = "user", empty;
          (void)co_await mem.append("u", "shared", role, text, empty);
        }
        ++finished;
      }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    }
    while (finished < 2) co_await sleep_for(10ms);
    memory mem(c, {.table_name = table});
    std::vector<message> once = co_await everything(mem, "u", "shared");
    std::vector<message> twice = co_await everything(mem, "u", "shared");
    REQUIRE(once.size() == 120);
    std::set<std::string> texts;
    for (const message& m : once) texts.insert(m.content);
    CHECK(texts.size() == 120);  // each once
    for (std::size_t i = 0; i < once.size(); ++i) CHECK(once[i].id == twice[i].id);  // the same order, read again
    // Each client's own messages keep their order.
    int last_a = -1, last_b = -1;
    for (const message& m : once) {
      int& last = m.content[0] == 'a' ? last_a : last_b;
      const int n = std::stoi(m.content.substr(1));
      CHECK(n > last);
      last = n;
    }
    a.close();
    b.close();
  });
}

TEST_CASE("memory: a summary replaces a range atomically; appends racing it and a second summary lose nothing",
          "[agent-local]") {
  const std::string table = ddb::test::fresh_table("mem_summary");
  with_local([&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    memory mem(c, {.table_name = table, .create_table = true});
    const std::string user = "u", conv = "long", empty;
    for (int i = 0; i < 30; ++i) {
      const std::string text = "old " + std::to_string(i), role = "user";
      (void)co_await mem.append(user, conv, role, text, empty);
    }
    std::vector<message> before = co_await everything(mem, user, conv);
    const std::string first = before[0].id, tenth = before[9].id, twentieth = before[19].id;
    // A summary of 0..19 racing 10 appends and a summary of 10..19.
    client other(ex);
    int finished = 0;
    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
      memory m2(other, {.table_name = table});
      for (int i = 0; i < 10; ++i) {
        const std::string text = "new " + std::to_string(i), role = "user";
        (void)co_await m2.append(user, conv, role, text, empty);
      }
      ++finished;
    }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    const std::string summary = "summary of 0-19", inner = "summary of 10-19";
    memory m3(other, {.table_name = table});
    boost::system::error_code ec1, ec2;
    for (int k = 0; k < 2; ++k) {
      asio::co_spawn(ex, [&, k]() -> asio::awaitable<void> {
        if (k == 0) {
          auto [e, r] = co_await mem.summarize(user, conv, first, twentieth, summary, asio::as_tuple(asio::use_awaitable));
          ec1 = e;
        } else {
          auto [e, r] = co_await m3.summarize(user, conv, tenth, twentieth, inner, asio::as_tuple(asio::use_awaitable));
          ec2 = e;
        }
        ++finished;
      }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    }
    while (finished < 3) co_await sleep_for(10ms);
    // Overlapping summaries: exactly one replaces its range. The other finds
    // its messages gone (or its summary's place taken) and changes nothing.
    CHECK((!ec1) != (!ec2));
    for (const auto& ec : {ec1, ec2})
      if (ec) CHECK((ec == errc::write_conflict || ec == errc::invalid_config));
    std::vector<message> after = co_await everything(mem, user, conv);
    std::set<std::string> texts;
    for (const message& m : after) texts.insert(m.content);
    for (int i = 0; i < 10; ++i) CHECK(texts.count("new " + std::to_string(i)) == 1);
    for (int i = 20; i < 30; ++i) CHECK(texts.count("old " + std::to_string(i)) == 1);
    if (!ec1) {
      REQUIRE(after.size() == 1 + 10 + 10);  // the summary, old 20..29, the 10 new ones
      CHECK(after[0].role == "summary");
      CHECK(after[0].content == summary);
      CHECK(after[1].content == "old 20");
    } else {
      REQUIRE(after.size() == 10 + 1 + 10 + 10);  // old 0..9, the summary, old 20..29, the new ones
      CHECK(after[10].content == inner);
      for (int i = 0; i < 10; ++i) CHECK(texts.count("old " + std::to_string(i)) == 1);
    }
    // A summary can be summarized again with what followed it.
    const std::string again = "summary of everything so far";
    appended s3 = co_await mem.summarize(user, conv, after[0].id, after[5].id, again);
    std::vector<message> final_state = co_await everything(mem, user, conv);
    CHECK(final_state.size() == after.size() - 6 + 1);
    CHECK(final_state[0].id == s3.id);
    other.close();
  });
}

TEST_CASE("memory: bad input is a clear error and writes nothing", "[agent-local]") {
  const std::string table = ddb::test::fresh_table("mem_bad");
  with_local([&](client& c) -> asio::awaitable<void> {
    memory mem(c, {.table_name = table, .create_table = true});
    const std::string user = "u", conv = "c", role = "user", text = "hi", empty, hashed = "a#b",
                      long_user(2045, 'u'), huge(3'900'000, 'h');
    CHECK_THAT(co_await thrown_by(mem.append(user, hashed, role, text, empty)), Catch::Contains("contains '#'"));
    CHECK_THAT(co_await thrown_by(mem.append(long_user, conv, role, text, empty)), Catch::Contains("at most"));
    CHECK_THAT(co_await thrown_by(mem.append(user, conv, empty, text, empty)), Catch::Contains("role must be"));
    auto [ec, r] = co_await mem.append(user, conv, role, huge, empty, asio::as_tuple(asio::use_awaitable));
    CHECK(ec == errc::item_too_large);
    CHECK_THAT(r.diag.message, Catch::Contains("compress_above"));
    memory_options short_ttl;
    short_ttl.keep = std::chrono::hours(24);
    memory brief(c, {.table_name = table}, short_ttl);
    CHECK_THAT(co_await thrown_by(brief.append(user, conv, role, text, empty)), Catch::Contains("7 to 30 days"));
    read_options bad_cursor;
    bad_cursor.before = "elsewhere#1#2";
    CHECK_THAT(co_await thrown_by(mem.last(user, conv, bad_cursor)), Catch::Contains("not a message id"));
    // All refused before the table was even checked: one good append, two
    // items (the message and its conversation).
    (void)co_await mem.append(user, conv, role, text, empty);
    CHECK(co_await items_in(c, table) == 2);
  });
}
