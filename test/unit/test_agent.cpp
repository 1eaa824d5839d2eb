// The pure decisions of ddb::agent's protocols (src/agent/protocol.cpp):
// keys, records as written and read back, what a refused claim means, poll
// delays, result splitting and lease timing. No client, no sockets.
#include <catch2/catch.hpp>

#include "agent/protocol.hpp"

using namespace ddb;
using namespace ddb::agent::detail;
using namespace std::chrono_literals;

TEST_CASE("agent keys: non-empty UTF-8 within the partition key limit, errors naming the fix", "[agent]") {
  CHECK(*idempotency_pk("order-42") == "idem#order-42");
  CHECK(*lease_pk("nightly") == "lease#nightly");
  auto empty = idempotency_pk("");
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code == errc::invalid_config);
  CHECK_THAT(empty.error().message, Catch::Contains("the idempotency key is empty"));
  CHECK(idempotency_pk(std::string(2043, 'k')));  // 5 + 2043 = 2048 bytes
  auto long_key = idempotency_pk(std::string(2044, 'k'));
  REQUIRE_FALSE(long_key);
  CHECK_THAT(long_key.error().message, Catch::Contains("at most 2043"));
  CHECK_FALSE(lease_pk(std::string(2043, 'n')));  // "lease#" is one byte longer
  CHECK_FALSE(idempotency_pk("\xc3\x28"));
  CHECK_FALSE(idempotency_pk("\xed\xa0\x80"));  // a surrogate
  CHECK(idempotency_pk("caf\xc3\xa9"));
}

TEST_CASE("idempotency records: the claim as written reads back; malformed ones are named", "[agent]") {
  const item claim = claim_item({"idem#k", "#"}, "owner1", 1'000'000, 60'000, std::string("hash"));
  CHECK(claim.at("pk") == value("idem#k"));
  CHECK(claim.at("sk") == value("#"));
  CHECK(claim.at("expires_ms") == value(1'060'000));
  CHECK(claim.at("expires_at") == value(1'060 + 86'400));
  auto r = read_record(claim);
  REQUIRE(r);
  CHECK(r->status == in_progress);
  CHECK(r->owner == "owner1");
  CHECK(r->expires_ms == 1'060'000);
  CHECK(r->payload_hash == "hash");
  CHECK_FALSE(r->result);
  CHECK(r->started_ms == 1'000'000);
  CHECK_FALSE(r->args);
  auto step = read_record(claim_item({"run#r", "step#1"}, "o", 5, 10, std::nullopt, std::string(R"({"q":1})")));
  REQUIRE(step);
  CHECK(step->args == R"({"q":1})");

  item done = claim;
  done.insert_or_assign("status", "COMPLETED");
  CHECK_FALSE(read_record(done));  // completed without a result
  done.insert_or_assign("result", to_bytes("42"));
  REQUIRE(read_record(done));
  CHECK(read_record(done)->result == "42");
  item chunked = claim;
  chunked.insert_or_assign("status", "COMPLETED");
  chunked.insert_or_assign("chunks", 3);
  CHECK(read_record(chunked)->chunks == 3);

  item odd = claim;
  odd.insert_or_assign("status", "DONE");
  CHECK_THAT(read_record(odd).error().message, Catch::Contains("unknown status 'DONE'"));
  odd = claim;
  odd.erase("owner");
  CHECK_THAT(read_record(odd).error().message, Catch::Contains("not a record ddb wrote"));
  odd = claim;
  odd.insert_or_assign("expires_ms", "soon");
  CHECK_THAT(read_record(odd).error().message, Catch::Contains("expires_ms"));
  odd = done;
  odd.insert_or_assign("result", "text, not bytes");
  CHECK_FALSE(read_record(odd));
}

TEST_CASE("a refused claim: replay, recorded failure, in progress, payload mismatch, or claim again", "[agent]") {
  idem_record r{.status = std::string(completed), .owner = "o", .expires_ms = 5000, .payload_hash = "h1", .result = "x"};
  CHECK(decide(r, 4000, std::string("h1")) == on_existing::replay);
  CHECK(decide(r, 5000, std::string("h1")) == on_existing::replay);  // expires after, not at
  CHECK(decide(r, 5001, std::string("h1")) == on_existing::claim_again);
  CHECK(decide(r, 4000, std::string("h2")) == on_existing::mismatch);
  CHECK(decide(r, 4000, std::nullopt) == on_existing::replay);  // no payload given: no check
  r.payload_hash.reset();
  CHECK(decide(r, 4000, std::string("h2")) == on_existing::replay);  // none stored: the first caller did not ask
  r.status = std::string(failed);
  CHECK(decide(r, 4000, std::nullopt) == on_existing::replay_failure);
  r.status = std::string(in_progress);
  CHECK(decide(r, 4000, std::nullopt) == on_existing::in_progress);
  CHECK(decide(r, 6000, std::nullopt) == on_existing::claim_again);  // the claimer's window has passed
}

TEST_CASE("a waiting duplicate polls at 25 ms doubling to 1 s, never past its deadline", "[agent]") {
  CHECK(poll_delay(0, 10s) == 25ms);
  CHECK(poll_delay(1, 10s) == 50ms);
  CHECK(poll_delay(5, 10s) == 800ms);
  CHECK(poll_delay(6, 10s) == 1000ms);
  CHECK(poll_delay(1000, 10s) == 1000ms);
  CHECK(poll_delay(3, 70ms) == 70ms);
  CHECK(poll_delay(3, -5ms) == 0ms);
}

TEST_CASE("results: one piece in the record, else chunks that join back", "[agent]") {
  CHECK(split_result("").size() == 1);
  CHECK(split_result(std::string(chunk_bytes, 'a')).size() == 1);
  std::string big(chunk_bytes * 3 + 17, 'b');
  for (std::size_t i = 0; i < big.size(); i += 4093) big[i] = static_cast<char>(i % 251);
  const auto parts = split_result(big);
  REQUIRE(parts.size() == 4);
  CHECK(parts.back().size() == 17);
  std::string joined;
  for (auto p : parts) joined += p;
  CHECK(joined == big);
  // The most a transaction holds: the record plus at most 99 chunks, and
  // each chunk well under DynamoDB's 400 KB item.
  CHECK(split_result(std::string(max_result_bytes, 'c')).size() + 1 <= 100);
  CHECK(chunk_bytes + 200 < 400 * 1024);
}

TEST_CASE("lease timing: a third of the lease between renewals, a fifth as margin; bad durations named", "[agent]") {
  auto t = timing_for(30s, std::nullopt);
  REQUIRE(t);
  CHECK(t->heartbeat == 10s);
  CHECK(t->safety == 6s);
  CHECK(timing_for(3s, 500ms)->heartbeat == 500ms);
  CHECK_FALSE(timing_for(999ms, std::nullopt));
  CHECK_FALSE(timing_for(-5s, std::nullopt));
  CHECK_FALSE(timing_for(std::chrono::hours(25), std::nullopt));
  CHECK_FALSE(timing_for(10s, 8s));  // not shorter than 10 s - 2 s
  CHECK_FALSE(timing_for(10s, 0ms));
  CHECK_THAT(timing_for(999ms, std::nullopt).error().message, Catch::Contains("from 1 s to 1 day"));
}

TEST_CASE("fences: a new lease item starts above every fence issued before it", "[agent]") {
  // An item removed by TTL a day after its last expiry: even 1,000
  // acquisitions a second for the whole of its life stay below the base.
  const std::int64_t created = 1'800'000'000'000;
  const std::int64_t lifetime_ms = 86'400'000;
  const std::int64_t last_fence = fence_base(created) + lifetime_ms;  // one acquisition per ms
  CHECK(fence_base(created + lifetime_ms + 86'400'000) > last_fence);
  CHECK(fence_base(created + 1) > fence_base(created));
  CHECK(new_owner_token().size() == 32);
  CHECK(new_owner_token() != new_owner_token());
  CHECK(payload_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("the ledger's keys: steps sort by number, run states move forward only", "[agent]") {
  CHECK(*run_pk("r-1") == "run#r-1");
  CHECK_FALSE(run_pk(""));
  CHECK(*step_sk(0) == "step#0000000000000000000");
  CHECK(*step_sk(42) == "step#0000000000000000042");
  CHECK(*step_sk(9'223'372'036'854'775'807) == "step#9223372036854775807");
  CHECK(*step_sk(9) < *step_sk(10));  // string order is number order
  CHECK_FALSE(step_sk(-1));
  CHECK(step_of(*step_sk(123)) == 123);
  CHECK_FALSE(step_of("step#12"));
  CHECK_FALSE(step_of("chunk/step#0000000000000000001/000000"));
  CHECK(chunk_sk("#", 7) == "chunk/#/000007");
  CHECK(chunk_sk(*step_sk(1), 0).rfind("step#", 0) == std::string::npos);  // never listed as a step
  CHECK(valid_transition("running", "succeeded"));
  CHECK(valid_transition("running", "failed"));
  CHECK(valid_transition("running", "cancelled"));
  CHECK_FALSE(valid_transition("running", "running"));
  CHECK_FALSE(valid_transition("succeeded", "running"));
  CHECK_FALSE(valid_transition("failed", "succeeded"));
  CHECK_FALSE(valid_transition("cancelled", "failed"));
  CHECK(known_run_state("cancelled"));
  CHECK_FALSE(known_run_state("done"));
}

TEST_CASE("flags: set keys, generation prefixes that sort and never mix, flags that fit one item", "[agent]") {
  CHECK(*flags_pk("prod") == "flags#prod");
  CHECK_FALSE(flags_pk(""));
  const std::string g9 = generation_prefix(9, "abc"), g10 = generation_prefix(10, "abc");
  CHECK(g9 == "gen#0000000000000000009#abc#");
  CHECK(g9 < g10);
  // Two publishers of one generation write under different tokens: one
  // prefix is never a prefix of the other's items.
  CHECK((g10 + "x").rfind(generation_prefix(10, "abd"), 0) == std::string::npos);
  CHECK(check_flag("planner", "true"));
  CHECK_THAT(check_flag("", "x").error().message, Catch::Contains("1 to 255 bytes"));
  CHECK_THAT(check_flag(std::string(256, 'n'), "x").error().message, Catch::Contains("1 to 255 bytes"));
  auto big = check_flag("prompt", std::string(350'000, 'p'));
  REQUIRE_FALSE(big);
  CHECK(big.error().code == errc::item_too_large);
  CHECK_THAT(big.error().message, Catch::Contains("flag 'prompt'"));
  CHECK(check_flag("prompt", std::string(349'994, 'p')));  // 6 + 349,994 = 350,000
  CHECK_FALSE(check_flag("k", "\xc3\x28"));
}
