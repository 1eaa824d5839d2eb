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
}  // namespace app

using namespace ddb;

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
