// Run checkpoints as items (src/agent/checkpoint_layout.cpp) alone: keys
// that sort by id, small payloads inline and large ones in parts, what a
// save refuses before writing, items read back. No client, no sockets.
#include <catch2/catch.hpp>

#include "agent/checkpoint_layout.hpp"
#include "agent/protocol.hpp"

using namespace ddb;
using namespace ddb::agent::detail;

TEST_CASE("checkpoints: keys sort by id; parts sort after nothing of the checkpoints'", "[agent]") {
  CHECK(checkpoint_sk(42) == "cp#0000000000000000042");
  CHECK(checkpoint_sk(9) < checkpoint_sk(10));
  CHECK(part_sk(42, 3) == "cpdata#0000000000000000042#000003");
  CHECK(part_sk(42, 3).rfind(part_prefix(42), 0) == 0);
  // A query for "cp#" prefixes never meets a part ("cpd..." does not begin with "cp#").
  CHECK(part_sk(1, 0).rfind("cp#", 0) == std::string::npos);
  CHECK(*checkpoint_pk("thread-7") == "ckpt#thread-7");
  CHECK_FALSE(checkpoint_pk(""));
  CHECK_FALSE(checkpoint_pk(std::string(2044, 't')));
}

TEST_CASE("checkpoints: a save's input is checked before anything is written", "[agent]") {
  CHECK(check_save("t", 0, "state", "{}"));
  auto negative = check_save("t", -1, "state", "{}");
  REQUIRE_FALSE(negative);
  CHECK(negative.error().code == errc::invalid_config);
  CHECK_THAT(negative.error().message, Catch::Contains("parent must be 0"));
  CHECK_THAT(check_save("", 0, "", "").error().message, Catch::Contains("thread id is empty"));
  CHECK_THAT(check_save("t", 0, "", std::string(max_metadata + 1, 'm')).error().message, Catch::Contains("metadata"));
  auto big = check_save("t", 0, std::string(max_payload + 1, 'p'), "");
  REQUIRE_FALSE(big);
  CHECK(big.error().code == errc::result_too_large);
  CHECK_THAT(big.error().message, Catch::Contains("store it elsewhere"));
  CHECK(check_save("t", 0, std::string(max_payload, 'p'), ""));
}

TEST_CASE("checkpoints: small payloads inline, large ones in parts, read back", "[agent]") {
  const item small = checkpoint_item("ckpt#t", 3, 2, 1'000, "tiny", "{\"step\":3}", 0);
  CHECK(small.at("sk") == value("cp#0000000000000000003"));
  CHECK_FALSE(small.find("expires_at"));
  CHECK(part_items("ckpt#t", 3, "tiny", 0).empty());
  auto back = read_checkpoint(small, "t", true);
  REQUIRE(back);
  CHECK(back->cp.id == 3);
  CHECK(back->cp.parent == 2);
  CHECK(back->cp.payload == "tiny");
  CHECK(back->cp.metadata == "{\"step\":3}");
  CHECK(back->parts == 0);

  std::string large(2 * part_bytes + 5, 'x');
  large[0] = '\0';  // any bytes
  const item meta = checkpoint_item("ckpt#t", 4, 3, 2'000, large, "", 1'700'000'000);
  CHECK(meta.at("expires_at") == value(1'700'000'000));
  CHECK_FALSE(meta.find("payload"));
  const std::vector<item> parts = part_items("ckpt#t", 4, large, 1'700'000'000);
  REQUIRE(parts.size() == 3);
  std::string joined;
  for (const item& p : parts) {
    const bytes& b = p.at("data").as_binary();
    joined.append(b.begin(), b.end());
    CHECK(p.at("expires_at") == value(1'700'000'000));
  }
  CHECK(joined == large);
  auto stored = read_checkpoint(meta, "t", true);
  REQUIRE(stored);
  CHECK(stored->parts == 3);
  CHECK(stored->hash == payload_hash(large));
  CHECK(stored->cp.payload_size == large.size());
  // Exactly at the inline limit: inline; one byte over: parts.
  CHECK(checkpoint_item("p", 1, 0, 0, std::string(inline_payload, 'a'), "", 0).find("payload"));
  CHECK(part_items("p", 1, std::string(inline_payload + 1, 'a'), 0).size() == 1);

  // Damaged items are named.
  item broken = small;
  broken.erase("payload");
  CHECK_THAT(read_checkpoint(broken, "t", true).error().message, Catch::Contains("neither 'payload' nor 'parts'"));
  CHECK(read_checkpoint(broken, "t", false));  // list() does not read payloads
  item no_id = small;
  no_id.erase("id");
  CHECK_THAT(read_checkpoint(no_id, "t", true).error().message, Catch::Contains("'id'"));
}
