// Typed items: described structs to items and back, and every way an item
// can fail to fit the type.
#include <catch2/catch.hpp>

#include "ddb/core/json.hpp"
#include "ddb/typed.hpp"

namespace app {
struct address {
  std::string city;
  int zip = 0;
  friend bool operator==(const address&, const address&) = default;
};
BOOST_DESCRIBE_STRUCT(address, (), (city, zip))

struct user {
  std::string id;
  std::int64_t visits = 0;
  std::uint8_t level = 0;
  double score = 0;
  float ratio = 0;
  bool admin = false;
  std::optional<std::string> email;
  std::optional<int> age;
  std::vector<std::string> history;
  std::vector<address> past;
  std::map<std::string, int> counters;
  std::set<std::string> roles;
  std::set<std::int64_t> lucky;
  std::set<ddb::bytes> keys;
  ddb::bytes avatar;
  address home;
  ddb::value extra;
  friend bool operator==(const user&, const user&) = default;
};
BOOST_DESCRIBE_STRUCT(user, (), (id, visits, level, score, ratio, admin, email, age, history, past, counters, roles,
                                 lucky, keys, avatar, home, extra))

// Renamed attributes and a key (issue 23 item 4).
struct message {
  std::string user_id;
  std::int64_t seq = 0;
  std::string text;
  std::optional<std::string> run;
  friend bool operator==(const message&, const message&) = default;
};
BOOST_DESCRIBE_STRUCT(message, (), (user_id, seq, text, run))
constexpr auto ddb_item_schema(const message*) {
  return ddb::item_schema(ddb::partition_key(&message::user_id, "PK"), ddb::sort_key(&message::seq, "SK"),
                          ddb::attribute(&message::text, "body"));
}

// A partition key only, keeping the member's name.
struct counter {
  std::string name;
  std::int64_t value = 0;
};
BOOST_DESCRIBE_STRUCT(counter, (), (name, value))
constexpr auto ddb_item_schema(const counter*) { return ddb::item_schema(ddb::partition_key(&counter::name)); }

// Schemas the compile-time checks refuse.
struct clash {
  std::string a, b;
};
BOOST_DESCRIBE_STRUCT(clash, (), (a, b))
constexpr auto ddb_item_schema(const clash*) { return ddb::item_schema(ddb::attribute(&clash::a, "b")); }
struct sort_only {
  std::string a, b;
};
BOOST_DESCRIBE_STRUCT(sort_only, (), (a, b))
constexpr auto ddb_item_schema(const sort_only*) { return ddb::item_schema(ddb::sort_key(&sort_only::b)); }
struct float_key {
  double a = 0;
};
BOOST_DESCRIBE_STRUCT(float_key, (), (a))
constexpr auto ddb_item_schema(const float_key*) { return ddb::item_schema(ddb::partition_key(&float_key::a)); }
struct undescribed_member {
  std::string a, hidden;
};
BOOST_DESCRIBE_STRUCT(undescribed_member, (), (a))
constexpr auto ddb_item_schema(const undescribed_member*) {
  return ddb::item_schema(ddb::attribute(&undescribed_member::hidden, "h"));
}
}  // namespace app

using namespace ddb;

static_assert(detail::typed::check_schema<app::message>());
static_assert(!detail::typed::attribute_names_unique<app::clash>());
static_assert(detail::typed::count_role<app::sort_only>(key_role::partition) == 0 &&
              detail::typed::count_role<app::sort_only>(key_role::sort) == 1);
static_assert(!detail::typed::key_members_typed<app::float_key>());
static_assert(!detail::typed::schema_members_described<app::undescribed_member>());
static_assert(detail::typed::attribute_names_unique<app::user>());  // no schema: the members' names

TEST_CASE("renamed attributes and the key of a described struct", "[typed]") {
  const app::message m{.user_id = "u#1", .seq = 42, .text = "hello", .run = "r9"};
  const item it = to_item(m);
  CHECK(json::to_json(it) == R"({"PK":{"S":"u#1"},"SK":{"N":"42"},"body":{"S":"hello"},"run":{"S":"r9"}})");
  CHECK(json::to_json(key_of(m)) == R"({"PK":{"S":"u#1"},"SK":{"N":"42"}})");
  auto back = from_item<app::message>(it);
  REQUIRE(back);
  CHECK(*back == m);

  // Reading wants the attribute names, and errors name them.
  item wrong = it;
  wrong.erase("body");
  wrong.insert_or_assign("text", value("the member's name is not the attribute's"));
  auto missing = from_item<app::message>(wrong);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("body: the attribute is missing") != std::string::npos);
  item bad_sk = it;
  bad_sk.insert_or_assign("SK", value("x"));
  auto typed_wrong = from_item<app::message>(bad_sk);
  REQUIRE_FALSE(typed_wrong);
  CHECK(typed_wrong.error().message.find("SK: expected N, found S") != std::string::npos);

  // A partition key only, under the member's own name.
  const app::counter c{.name = "hits", .value = 3};
  CHECK(json::to_json(key_of(c)) == R"({"name":{"S":"hits"}})");
  CHECK(json::to_json(to_item(c)) == R"({"name":{"S":"hits"},"value":{"N":"3"}})");
}

TEST_CASE("plain JSON of items: written without type tags, read back with them", "[typed][json]") {
  app::message m{.user_id = "u#1", .seq = 42, .text = "h\"i", .run = std::nullopt};
  CHECK(json::to_plain_json(to_item(m)) == R"({"PK":"u#1","SK":42,"body":"h\"i"})");
  auto parsed = json::parse_plain_item(R"({"PK":"u#1","SK":42,"body":"h\"i"})");
  REQUIRE(parsed);
  auto back = from_item<app::message>(*parsed);
  REQUIRE(back);
  CHECK(*back == m);

  // Every type: sets and binaries become arrays and base64 strings.
  item all;
  all.insert_or_assign("s", value("x"));
  all.insert_or_assign("n", value(number::parse("-12345678901234567890123456789012345678").value()));
  all.insert_or_assign("f", value(number::parse("1.5E+3").value()));
  all.insert_or_assign("t", value(true));
  all.insert_or_assign("z", value(null_t{}));
  all.insert_or_assign("b", value(bytes{0, 255}));
  all.insert_or_assign("l", value(list{value(1), value("a"), value(list{})}));
  item inner;
  inner.insert_or_assign("k", value(false));
  all.insert_or_assign("m", value(inner));
  all.insert_or_assign("ss", value(string_set{"a", "b"}));
  all.insert_or_assign("ns", value(number_set{number(1), number(2)}));
  all.insert_or_assign("bs", value(binary_set{bytes{1}}));
  const std::string plain = json::to_plain_json(all);
  CHECK(plain == R"({"s":"x","n":-12345678901234567890123456789012345678,"f":1.5E+3,"t":true,"z":null,"b":"AP8=",)"
                 R"("l":[1,"a",[]],"m":{"k":false},"ss":["a","b"],"ns":[1,2],"bs":["AQ=="]})");
  auto read = json::parse_plain_item(plain);
  REQUIRE(read);
  CHECK(read->at("n") == all.at("n"));  // 38 digits, exact
  CHECK(read->at("n").as_number().text() == "-12345678901234567890123456789012345678");
  CHECK(read->at("f") == all.at("f"));
  CHECK(read->at("t") == all.at("t"));
  CHECK(read->at("z").is_null());
  CHECK(read->at("b") == value("AP8="));  // base64 text: binaries do not round-trip
  CHECK(read->at("ss").kind() == type::list);  // nor do sets
  CHECK(read->at("m") == all.at("m"));
  CHECK(read->at("l") == all.at("l"));

  // Scalars alone, and values.
  CHECK(json::parse_plain_value("12").value() == value(12));
  CHECK(json::parse_plain_value(" \"s\" ").value() == value("s"));
  CHECK(json::parse_plain_value("null").value().is_null());
  CHECK(json::parse_plain_value("[true]").value() == value(list{value(true)}));
  CHECK(json::to_plain_json(value(list{value(1), value("a")})) == R"([1,"a"])");

  // Refused, each naming the problem.
  auto dup = json::parse_plain_item(R"({"a":1,"a":2})");
  REQUIRE_FALSE(dup);
  CHECK(dup.error().message.find("'a' appears twice") != std::string::npos);
  auto too_precise = json::parse_plain_item(R"({"x":{"y":1234567890123456789012345678901234567890}})");
  REQUIRE_FALSE(too_precise);
  CHECK(too_precise.error().message.find("x.y") != std::string::npos);
  auto not_object = json::parse_plain_item("[1]");
  REQUIRE_FALSE(not_object);
  CHECK(not_object.error().code == errc::unexpected_json);
  for (const char* broken : {"{\"a\":nul}", "{\"a\":tru}", "{\"a\":1", "{\"a\":[1,}", "{\"a\":1} x", "", "{\"a\":-}"}) {
    INFO(broken);
    auto r = json::parse_plain_item(broken);
    REQUIRE_FALSE(r);
    CHECK_FALSE(r.error().message.empty());
  }
  std::string deep = "1";
  for (int i = 0; i < 40; ++i) deep = "[" + deep + "]";
  auto nested = json::parse_plain_value(deep);
  REQUIRE_FALSE(nested);
  CHECK(nested.error().code == errc::nesting_too_deep);
  item bad_utf8;
  bad_utf8.insert_or_assign("s", value(std::string("\xff")));
  CHECK_THROWS_AS(json::to_plain_json(bad_utf8), ddb::error);
}

TEST_CASE("a described struct round-trips through an item", "[typed]") {
  app::user u;
  u.id = "user#1";
  u.visits = -9007199254740993;  // not exact as a double: stays exact as a DynamoDB number
  u.level = 200;
  u.score = 4.25;
  u.ratio = 0.5f;
  u.admin = true;
  u.email = "ada@example.com";
  u.history = {"a", "b"};
  u.past = {{"London", 1}, {"Paris", 75001}};
  u.counters = {{"x", 1}, {"y", -2}};
  u.roles = {"admin", "dev"};
  u.lucky = {7, 13};
  u.keys = {ddb::bytes{1, 2}, ddb::bytes{3}};
  u.avatar = ddb::bytes{0, 255, 7};
  u.home = {"Oslo", 150};
  u.extra = ddb::value(ddb::list{ddb::value("free"), ddb::value(1)});

  const item it = to_item(u);
  CHECK(it.at("id") == value("user#1"));
  CHECK(it.at("visits").as_number().text() == "-9007199254740993");
  CHECK(it.at("home").as_map().at("city") == value("Oslo"));
  CHECK(it.at("roles").kind() == type::string_set);
  CHECK(it.at("lucky").kind() == type::number_set);
  CHECK(it.at("keys").kind() == type::binary_set);
  CHECK_FALSE(it.contains("age"));  // nullopt: no attribute
  auto back = from_item<app::user>(it);
  REQUIRE(back);
  CHECK(*back == u);

  // Through JSON too, as it would come back from DynamoDB.
  auto parsed = json::parse_item(json::to_json(it));
  REQUIRE(parsed);
  CHECK(*from_item<app::user>(*parsed) == u);

  // Empty sets and containers are no attribute, and read back empty.
  app::user bare{.id = "b"};
  const item small = to_item(bare);
  CHECK_FALSE(small.contains("roles"));
  CHECK_FALSE(small.contains("email"));
  auto bare_back = from_item<app::user>(small);
  REQUIRE(bare_back);
  CHECK(*bare_back == bare);
}

TEST_CASE("items that do not fit the type are errors naming the path, never truncations", "[typed]") {
  const item good = to_item(app::user{.id = "u", .home = {"Oslo", 1}});
  auto with = [&](const std::string& name, value v) {
    item it = good;
    it.insert_or_assign(name, std::move(v));
    return from_item<app::user>(it);
  };
  auto r = with("level", 256);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::number_out_of_range);
  CHECK_THAT(r.error().message, Catch::Contains("level"));
  r = with("visits", number("1.5"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::number_out_of_range);
  r = with("ratio", number("1E+100"));  // fine for DynamoDB, too large for a float
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::number_out_of_range);
  r = with("home", item{{"city", "Oslo"}, {"zip", "not a number"}});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::wrong_value_type);
  CHECK_THAT(r.error().message, Catch::Contains("home.zip: expected N, found S"));
  r = with("past", list{value(item{{"city", "x"}, {"zip", 1}}), value(item{{"city", 5}, {"zip", 1}})});
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("past[1].city"));
  r = with("age", nullptr);  // NULL reads as nullopt
  REQUIRE(r);
  CHECK_FALSE(r->age);
  item missing = good;
  missing.erase("id");
  r = from_item<app::user>(missing);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("id: the attribute is missing"));
  CHECK_THROWS_AS(to_item(app::user{.score = std::nan("")}), ddb::error);
}

TEST_CASE("plain JSON scalars alone are checked for trailing text", "[typed][json]") {
  for (const char* bad : {"12 x", "\"s\" 1", "true false", "null,", "1.5.2", "12]"}) {
    INFO(bad);
    CHECK_FALSE(json::parse_plain_value(bad));
  }
  CHECK(json::parse_plain_value("12 ").value() == value(12));
  CHECK(json::parse_plain_value("-0.5").value() == value(number::parse("-0.5").value()));
}
