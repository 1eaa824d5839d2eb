// DynamoDB Streams without a network: request bodies, response decoding
// (and its failures), the JSON line of `ddb streams tail`, and the consumer's
// shard book driven through scripted shard trees (lineage, resuming, expired
// and trimmed positions, round robin, idle rounds).
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "agent/protocol.hpp"
#include "agent/shard_book.hpp"
#include "streams/codec.hpp"

using namespace ddb;
using namespace ddb::streams;
using namespace ddb::streams::detail;
using namespace std::chrono_literals;

TEST_CASE("streams: request bodies, and requests that cannot be sent", "[streams]") {
  CHECK(*encode(list_streams_request{.table_name = "orders", .limit = 5}) == R"({"TableName":"orders","Limit":5})");
  CHECK(*encode(list_streams_request{}) == "{}");
  CHECK(*encode(get_shard_iterator_request{.stream_arn = "arn:s", .shard_id = "sh-1",
                                           .type = iterator_type::after_sequence_number, .sequence_number = "42"}) ==
        R"({"StreamArn":"arn:s","ShardId":"sh-1","ShardIteratorType":"AFTER_SEQUENCE_NUMBER","SequenceNumber":"42"})");
  CHECK(*encode(get_records_request{.shard_iterator = "it", .limit = 1000}) == R"({"ShardIterator":"it","Limit":1000})");

  auto no_arn = encode(describe_stream_request{});
  REQUIRE_FALSE(no_arn);
  CHECK(no_arn.error().code == errc::invalid_config);
  CHECK_THAT(no_arn.error().message, Catch::Contains("StreamArn is required"));
  auto no_seq = encode(get_shard_iterator_request{.stream_arn = "a", .shard_id = "s", .type = iterator_type::at_sequence_number});
  REQUIRE_FALSE(no_seq);
  CHECK_THAT(no_seq.error().message, Catch::Contains("AT_SEQUENCE_NUMBER needs a SequenceNumber"));
  auto stray_seq = encode(get_shard_iterator_request{.stream_arn = "a", .shard_id = "s", .sequence_number = "1"});
  REQUIRE_FALSE(stray_seq);
  auto big = encode(get_records_request{.shard_iterator = "it", .limit = 1001});
  REQUIRE_FALSE(big);
  CHECK_THAT(big.error().message, Catch::Contains("between 1 and 1000"));
  auto bad_utf8 = encode(list_streams_request{.table_name = std::string("\xff")});
  REQUIRE_FALSE(bad_utf8);
  CHECK(bad_utf8.error().code == errc::invalid_utf8);
}

TEST_CASE("streams: responses decoded; a bad one is an error naming where", "[streams]") {
  get_records_response r;
  const std::string body = R"({"NextShardIterator":"next","Records":[{"awsRegion":"us-east-1","dynamodb":{
      "ApproximateCreationDateTime":1.7e9,"Keys":{"pk":{"S":"a"}},"NewImage":{"pk":{"S":"a"},"n":{"N":"2"}},
      "OldImage":{"pk":{"S":"a"},"n":{"N":"1"}},"SequenceNumber":"111","SizeBytes":26,"StreamViewType":"NEW_AND_OLD_IMAGES"},
      "eventID":"e1","eventName":"MODIFY","eventSource":"aws:dynamodb","eventVersion":"1.1","future":[1,2]},
      {"eventName":"REMOVE","dynamodb":{"Keys":{"pk":{"S":"b"}},"SequenceNumber":"112","SizeBytes":3},
       "userIdentity":{"PrincipalId":"dynamodb.amazonaws.com","Type":"Service"}}]})";
  REQUIRE_FALSE(decode(body, r));
  REQUIRE(r.records.size() == 2);
  CHECK(r.next_shard_iterator == "next");
  const record& m = r.records[0];
  CHECK(m.event_name == "MODIFY");
  CHECK(m.sequence_number == "111");
  CHECK(m.size_bytes == 26);
  CHECK(m.approximate_creation_date_time == 1.7e9);
  CHECK(m.keys.at("pk").as_string() == "a");
  REQUIRE(m.new_image);
  REQUIRE(m.old_image);
  CHECK(m.new_image->at("n").as_number().text() == "2");
  CHECK(r.records[1].user_identity_type == "Service");
  CHECK_FALSE(r.records[1].new_image);

  get_records_response closed;
  REQUIRE_FALSE(decode(R"({"Records":[],"NextShardIterator":null})", closed));
  CHECK(closed.next_shard_iterator.empty());

  describe_stream_response d;
  REQUIRE_FALSE(decode(R"({"StreamDescription":{"StreamArn":"arn","StreamStatus":"ENABLED","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
      "Shards":[{"ShardId":"s1","SequenceNumberRange":{"StartingSequenceNumber":"1","EndingSequenceNumber":"9"}},
                {"ShardId":"s2","ParentShardId":"s1","SequenceNumberRange":{"StartingSequenceNumber":"10"}}]}})",
                       d));
  REQUIRE(d.stream_description.shards.size() == 2);
  CHECK(d.stream_description.shards[0].closed());
  CHECK_FALSE(d.stream_description.shards[1].closed());
  CHECK(d.stream_description.shards[1].parent_shard_id == "s1");
  CHECK(d.stream_description.key_schema.at(0).key_type == "HASH");

  // Malformed bodies: errors, never exceptions.
  for (const char* bad : {R"({"Records":[{"dynamodb":{"Keys":{"pk":{"S":1}}}}]})", R"({"Records":n})",
                          R"({"Records":[{"dynamodb":{"SizeBytes":-1}}]})", "[", R"({"NextShardIterator":nul})", R"({"NextShardIterator":nulx})"}) {
    INFO(bad);
    get_records_response x;
    auto f = decode(bad, x);
    REQUIRE(f);
    CHECK_THAT(f->message, Catch::Contains("the Streams response could not be read"));
  }
  get_records_response y;
  auto f = decode(R"({"Records":[{"dynamodb":{"Keys":{"pk":{"S":1}}}}]})", y);
  REQUIRE(f);
  CHECK_THAT(f->message, Catch::Contains("Records[0].dynamodb.Keys.pk"));
  describe_stream_response none;
  REQUIRE(decode("{}", none));
}

TEST_CASE("streams: one record as a JSON line", "[streams]") {
  record r;
  r.event_name = "INSERT";
  r.sequence_number = "7";
  r.keys = item{{"pk", "a"}};
  r.new_image = item{{"pk", "a"}, {"n", 1}};
  CHECK(to_json_line(r, "s1") ==
        R"({"eventName":"INSERT","shardId":"s1","sequenceNumber":"7","sizeBytes":0,"keys":{"pk":{"S":"a"}},)"
        R"("newImage":{"pk":{"S":"a"},"n":{"N":"1"}}})");
  r.keys = item{{"pk", std::string("\xff")}};
  CHECK_THROWS_AS(to_json_line(r), ddb::error);
}

namespace {

using clock_type = std::chrono::steady_clock;
const clock_type::time_point t0{};

shard make(std::string id, std::string parent, bool closed) {
  return shard{std::move(id), std::move(parent), "1", closed ? "99" : ""};
}

record rec(std::string seq) {
  record r;
  r.sequence_number = std::move(seq);
  return r;
}

// Serves a scripted stream to the book: each shard has its records and is
// closed or open; the driver carries out each step as the consumer would
// and collects what is delivered.
struct fake_stream {
  std::vector<shard> shards;
  std::map<std::string, std::vector<std::string>> records;  // shard -> sequence numbers
  std::map<std::string, std::size_t> read_pos;               // iterator "shard@index"
  std::vector<std::pair<std::string, std::string>> delivered;

  std::string iterator_at(const std::string& shard_id, const step& s) {
    const auto& recs = records[shard_id];
    std::size_t from = 0;
    if (s.type == iterator_type::latest) from = recs.size();
    if (s.type == iterator_type::after_sequence_number)
      from = static_cast<std::size_t>(std::find(recs.begin(), recs.end(), s.sequence_number) - recs.begin()) + 1;
    return shard_id + "@" + std::to_string(from);
  }
  bool closed(const std::string& id) const {
    for (const shard& s : shards)
      if (s.shard_id == id) return s.closed();
    return false;
  }

  // Runs steps until `idle` comes `idles` times; at most max_batches batches.
  void run(shard_book& book, int idles = 2, int max_batches = 1000, std::size_t limit = 2) {
    auto now = t0;
    int seen_idle = 0;
    for (int i = 0; i < 10000 && seen_idle < idles && max_batches > 0; ++i) {
      now += 1ms;
      step s = book.next(now);
      switch (s.what) {
        case step::describe: book.on_described(shards, now); break;
        case step::get_iterator: book.on_iterator(s.shard_id, iterator_at(s.shard_id, s)); break;
        case step::get_records: {
          const auto at = s.iterator.find('@');
          const std::string id = s.iterator.substr(0, at);
          std::size_t from = std::stoul(s.iterator.substr(at + 1));
          const auto& recs = records[id];
          std::vector<record> out;
          while (from < recs.size() && out.size() < limit) out.push_back(rec(recs[from++]));
          const bool end = closed(id) && from == recs.size();
          for (const record& r : out) delivered.emplace_back(id, r.sequence_number);
          book.on_records(id, out, end ? "" : id + "@" + std::to_string(from));
          if (!out.empty()) --max_batches;
          break;
        }
        case step::idle: ++seen_idle; break;
      }
    }
  }
};

}  // namespace

TEST_CASE("shard book: a split tree is read parents before children, every record once", "[streams]") {
  // s1 split into s2 and s3; s3 split into s4. Records: sequence numbers.
  fake_stream f;
  f.shards = {make("s1", "", true), make("s2", "s1", false), make("s3", "s1", true), make("s4", "s3", false)};
  f.records = {{"s1", {"1", "2", "3"}}, {"s2", {"10", "11"}}, {"s3", {"20", "21", "22"}}, {"s4", {"30"}}};
  shard_book book(start_position::trim_horizon, 10s);
  f.run(book);
  REQUIRE(f.delivered.size() == 9);
  std::map<std::string, std::size_t> first, last;
  for (std::size_t i = 0; i < f.delivered.size(); ++i) {
    first.try_emplace(f.delivered[i].first, i);
    last[f.delivered[i].first] = i;
  }
  CHECK(last["s1"] < first["s2"]);
  CHECK(last["s1"] < first["s3"]);
  CHECK(last["s3"] < first["s4"]);
  std::vector<std::string> seqs;
  for (auto& [id, seq] : f.delivered) seqs.push_back(seq);
  std::sort(seqs.begin(), seqs.end());
  CHECK(std::adjacent_find(seqs.begin(), seqs.end()) == seqs.end());  // none twice
  CHECK(book.finished_shards() == 2);  // s1, s3 (s2, s4 are open)
  CHECK_FALSE(book.readable("s1"));
  CHECK(book.readable("s2"));
}

TEST_CASE("shard book: a child waits while its parent is open, then follows it", "[streams]") {
  fake_stream f;
  f.shards = {make("s1", "", false)};
  f.records = {{"s1", {"1"}}};
  shard_book book(start_position::trim_horizon, 10s);
  f.run(book);
  CHECK(f.delivered.size() == 1);
  // The shard splits: s1 closes with one more record, s2 appears.
  f.shards = {make("s1", "", true), make("s2", "s1", false)};
  f.records["s1"].push_back("2");
  f.records["s2"] = {"5", "6"};
  book.on_described(f.shards, t0 + 1s);
  CHECK_FALSE(book.readable("s2"));
  f.run(book);
  REQUIRE(f.delivered.size() == 4);
  CHECK(f.delivered[1] == std::make_pair(std::string("s1"), std::string("2")));
  CHECK(f.delivered[2].first == "s2");
}

TEST_CASE("shard book: latest skips what is there; later children start at their oldest record", "[streams]") {
  fake_stream f;
  f.shards = {make("s0", "", true), make("s1", "s0", false)};
  f.records = {{"s0", {"1", "2"}}, {"s1", {"3"}}};
  shard_book book(start_position::latest, 10s);
  f.run(book);
  CHECK(f.delivered.empty());
  f.records["s1"].push_back("4");  // written after the start
  f.run(book);
  REQUIRE(f.delivered.size() == 1);
  CHECK(f.delivered[0].second == "4");
  f.shards = {make("s0", "", true), make("s1", "s0", true), make("s2", "s1", false)};
  f.records["s2"] = {"7"};
  book.on_described(f.shards, t0 + 1s);
  f.run(book);
  REQUIRE(f.delivered.size() == 2);
  CHECK(f.delivered[1].second == "7");
}

TEST_CASE("shard book: positions saved only as delivered; a restart resumes after them", "[streams]") {
  fake_stream f;
  f.shards = {make("s1", "", true), make("s2", "s1", false)};
  f.records = {{"s1", {"1", "2", "3", "4"}}, {"s2", {"5", "6"}}};
  shard_book first(start_position::trim_horizon, 10s);
  f.run(first, 2, 1);  // one batch (limit 2): 1, 2
  REQUIRE(f.delivered.size() == 2);
  std::vector<position> saved = first.changed_positions();
  REQUIRE(saved.size() == 1);
  CHECK(saved[0].shard_id == "s1");
  CHECK(saved[0].sequence_number == "2");
  CHECK_FALSE(saved[0].finished);
  first.clear_changed();
  CHECK(first.changed_positions().empty());

  // A restart with the saved position: 3, 4, then s2; nothing before 3 again.
  fake_stream g = f;
  g.delivered.clear();
  shard_book second(start_position::latest, 10s);  // the start option does not apply: positions exist
  second.load(saved);
  g.run(second);
  REQUIRE(g.delivered.size() == 4);
  CHECK(g.delivered[0].second == "3");
  CHECK(g.delivered[3].second == "6");
  auto now = second.changed_positions();
  auto s1 = std::find_if(now.begin(), now.end(), [](const position& p) { return p.shard_id == "s1"; });
  REQUIRE(s1 != now.end());
  CHECK(s1->finished);

  // A third start with s1 saved as finished reads only s2.
  fake_stream h = f;
  h.delivered.clear();
  shard_book third(start_position::trim_horizon, 10s);
  third.load(now);
  h.run(third);
  CHECK(h.delivered.empty());
}

TEST_CASE("shard book: expired iterators resume at the position; trimmed positions restart and count", "[streams]") {
  shard_book book(start_position::trim_horizon, 10s);
  book.load({{"s1", "5", false}});
  book.on_described({make("s1", "", false)}, t0);
  step s = book.next(t0);
  REQUIRE(s.what == step::get_iterator);
  CHECK(s.type == iterator_type::after_sequence_number);
  CHECK(s.sequence_number == "5");
  book.on_iterator("s1", "it1");
  s = book.next(t0);
  REQUIRE(s.what == step::get_records);
  CHECK(s.iterator == "it1");
  book.on_records("s1", {rec("6"), rec("7")}, "it2");
  book.on_iterator_expired("s1");
  s = book.next(t0);
  REQUIRE(s.what == step::get_iterator);
  CHECK(s.sequence_number == "7");  // after the last delivered record, not the saved one
  book.on_trimmed("s1");
  CHECK(book.trimmed() == 1);
  s = book.next(t0);
  REQUIRE(s.what == step::get_iterator);
  CHECK(s.type == iterator_type::trim_horizon);
  book.on_shard_gone("s1");
  CHECK(book.finished_shards() == 1);
  CHECK(book.next(t0).what == step::describe);  // a finished shard: look for children
}

TEST_CASE("shard book: round robin over readable shards, idle after a quiet round, describe on schedule", "[streams]") {
  shard_book book(start_position::trim_horizon, 10s);
  book.on_described({make("a", "", false), make("b", "", false), make("c", "", false)}, t0);
  for (const char* id : {"a", "b", "c"}) book.on_iterator(id, std::string("it-") + id);
  std::vector<std::string> order;
  for (int i = 0; i < 3; ++i) {
    step s = book.next(t0);
    REQUIRE(s.what == step::get_records);
    order.push_back(s.shard_id);
    book.on_records(s.shard_id, {rec("1")}, s.iterator);  // busy shards: polled in turn
  }
  CHECK(order == std::vector<std::string>{"a", "b", "c"});
  for (int i = 0; i < 3; ++i) {
    step s = book.next(t0);
    REQUIRE(s.what == step::get_records);
    book.on_records(s.shard_id, {}, s.iterator);
  }
  CHECK(book.next(t0).what == step::idle);  // every shard polled empty
  CHECK(book.next(t0).what == step::get_records);  // a new round
  CHECK(book.next(t0 + 10s).what == step::describe);
}

TEST_CASE("streams: the consumer's position key", "[streams]") {
  CHECK(*agent::detail::stream_position_pk("mailer", "arn:x") == "streampos#mailer#arn:x");
  CHECK_FALSE(agent::detail::stream_position_pk("", "arn:x"));
  CHECK_FALSE(agent::detail::stream_position_pk("a#b", "arn:x"));
}
