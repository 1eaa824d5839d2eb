// Session memory as items (src/agent/memory_layout.cpp) alone: keys that
// sort by time, what an append refuses, contents compressed and split,
// items read back. No client, no sockets.
#include <catch2/catch.hpp>

#include "agent/memory_layout.hpp"

using namespace ddb;
using namespace ddb::agent::detail;

TEST_CASE("memory: message keys sort by time within a conversation; summaries sort where they replace", "[agent]") {
  const std::string a = message_sk("c1", 1'700'000'000'000, "00ff"), b = message_sk("c1", 1'700'000'000'001, "0000");
  CHECK(a == "c1#1700000000000#00ff");
  CHECK(a < b);
  CHECK(a.rfind(message_prefix("c1"), 0) == 0);
  CHECK(b.rfind(message_prefix("c"), 0) == std::string::npos);  // "c#" is not a prefix of "c1#..."
  CHECK(conversation_sk("c1") == "#conv#c1");
  CHECK(part_sk(a, 2) == "#part#c1#1700000000000#00ff#0002");
  // A summary of messages ending at a sorts after a and before anything newer.
  CHECK(summary_sk(a) > a);
  CHECK(summary_sk(a) < b);
  CHECK(summary_sk(a) < message_sk("c1", 1'700'000'000'000, "0100"));
  CHECK(summary_sk(summary_sk(a)) > summary_sk(a));
}

TEST_CASE("memory: bad conversations, roles, run ids and ranges are named", "[agent]") {
  CHECK(check_conversation("support-42"));
  CHECK_THAT(check_conversation("").error().message, Catch::Contains("conversation id is empty"));
  CHECK_THAT(check_conversation("a#b").error().message, Catch::Contains("contains '#'"));
  CHECK_THAT(check_conversation(std::string(257, 'c')).error().message, Catch::Contains("at most 256"));
  CHECK_FALSE(check_conversation("\xff"));
  CHECK(check_message("user", "hello", ""));
  CHECK_THAT(check_message("", "x", "").error().message, Catch::Contains("role must be 1 to 64"));
  CHECK_THAT(check_message("user", "\xc3\x28", "").error().message, Catch::Contains("valid UTF-8"));
  CHECK_THAT(check_message("user", "x", std::string(1025, 'r')).error().message, Catch::Contains("at most 1024"));
  const std::string first = message_sk("c", 1, "a"), last = message_sk("c", 2, "a");
  CHECK(check_range("c", first, last));
  CHECK_THAT(check_range("c", last, first).error().message, Catch::Contains("older one first"));
  CHECK_THAT(check_range("d", first, last).error().message, Catch::Contains("two message ids of conversation 'd'"));
}

TEST_CASE("memory: contents compressed when it pays, split over parts when large, read back", "[agent]") {
  const std::string text(10'000, 'a');
  CHECK_FALSE(encode_body(text, 0).compressed);       // off
  CHECK_FALSE(encode_body(text, 20'000).compressed);  // below the threshold
  const stored_body z = encode_body(text, 1'000);
  CHECK(z.compressed);
  CHECK(z.data.size() < 200);
  CHECK(*decode_body(z.data, true, text.size()) == text);
  CHECK_FALSE(decode_body(z.data, true, text.size() + 1));  // the recorded size is checked
  CHECK_FALSE(decode_body("not zlib", true, 8));
  std::string noise(4'000, '\0');
  std::uint64_t x = 88172645463325252ull;  // xorshift: bytes zlib cannot shrink
  for (char& ch : noise) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    ch = static_cast<char>(x >> 56);
  }
  CHECK_FALSE(encode_body(noise, 1'000).compressed);  // not smaller: stored as it is

  const item small = message_item("mem#u", message_sk("c", 5, "ab"), "user", encode_body("hi", 0), 2, "run-1", 5, 99);
  CHECK(small.at("content") == value("hi"));
  CHECK(small.at("run_id") == value("run-1"));
  CHECK(small.at("expires_at") == value(99));
  auto back = read_message(small);
  REQUIRE(back);
  CHECK(back->m.conversation == "c");
  CHECK(back->m.role == "user");
  CHECK(back->m.run_id == "run-1");
  CHECK(back->body == "hi");
  CHECK(back->parts == 0);
  const item no_run = message_item("mem#u", message_sk("c", 5, "ab"), "user", encode_body("hi", 0), 2, "", 5, 0);
  CHECK_FALSE(no_run.find("run_id"));  // sparse: only messages of a run are in the index
  CHECK_FALSE(no_run.find("expires_at"));

  const item packed = message_item("mem#u", "c#1#x", "tool", z, text.size(), "", 1, 0);
  CHECK(packed.at("z") == value(1));
  auto unpacked = read_message(packed);
  REQUIRE(unpacked);
  CHECK(unpacked->m.compressed);
  CHECK(*decode_body(unpacked->body, true, unpacked->size) == text);

  const std::string large(max_body * 2 + 10, 'L');
  const stored_body as_is = encode_body(large, 0);
  const item head = message_item("mem#u", "c#2#y", "assistant", as_is, large.size(), "", 2, 0);
  CHECK_FALSE(head.find("content"));
  CHECK(head.at("parts") == value(3));
  const std::vector<item> parts = message_parts("mem#u", "c#2#y", as_is, 0);
  REQUIRE(parts.size() == 3);
  std::string joined;
  for (const item& p : parts) {
    const bytes& b = p.at("data").as_binary();
    joined.append(b.begin(), b.end());
  }
  CHECK(joined == large);
  CHECK(read_message(head)->parts == 3);
  item broken = small;
  broken.erase("content");
  CHECK_THAT(read_message(broken).error().message, Catch::Contains("no content, body or parts"));
}
