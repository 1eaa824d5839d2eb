// The value model: numbers kept exact and validated, checked conversions,
// typed access, items.
#include <catch2/catch.hpp>

#include "ddb/core/value.hpp"

using namespace ddb;

TEST_CASE("numbers accept DynamoDB's grammar and keep their exact text", "[value]") {
  for (const char* ok : {"0", "-0", "42", "-17", "+5", "3.14", ".5", "5.", "1e3", "1E-130", "-1E-130",
                         "9.9999999999999999999999999999999999999E+125", "12345678901234567890123456789012345678",
                         "0.00000000000000000000000000000000000000000000000001", "1000000000000000000000000000000000000000000000",
                         "1.2300000000000000000000000000000000000000000000000"}) {
    INFO(ok);
    auto n = number::parse(ok);
    REQUIRE(n);
    CHECK(n->text() == ok);
  }
}

TEST_CASE("numbers outside DynamoDB's rules are refused with a reason", "[value]") {
  struct bad {
    const char* text;
    errc code;
  };
  for (const bad& b : {bad{"", errc::invalid_number}, bad{"-", errc::invalid_number}, bad{"1e", errc::invalid_number},
                       bad{"1e+", errc::invalid_number}, bad{"0x10", errc::invalid_number},
                       bad{" 1", errc::invalid_number}, bad{"1 ", errc::invalid_number}, bad{"1,000", errc::invalid_number},
                       bad{"NaN", errc::invalid_number}, bad{"Infinity", errc::invalid_number}, bad{"--1", errc::invalid_number},
                       bad{"1.2.3", errc::invalid_number}, bad{".", errc::invalid_number},
                       bad{"123456789012345678901234567890123456789", errc::number_too_precise},
                       bad{"1.23456789012345678901234567890123456789", errc::number_too_precise},
                       bad{"1E126", errc::number_out_of_range}, bad{"-1E126", errc::number_out_of_range},
                       bad{"1E-131", errc::number_out_of_range}, bad{"0.1E-130", errc::number_out_of_range},
                       bad{"1e99999999999999999999", errc::number_out_of_range}}) {
    INFO(b.text);
    auto n = number::parse(b.text);
    REQUIRE_FALSE(n);
    CHECK(n.error().code == b.code);
    CHECK_FALSE(n.error().message.empty());
  }
  CHECK_THROWS_AS(number("abc"), ddb::error);
  CHECK_THROWS_AS(number(std::numeric_limits<double>::quiet_NaN()), ddb::error);
  CHECK_THROWS_AS(number(std::numeric_limits<double>::infinity()), ddb::error);
  CHECK_THROWS_AS(number(1e300), ddb::error);  // finite but beyond DynamoDB's 1E+126
}

TEST_CASE("number conversions are checked, never truncated", "[value]") {
  CHECK(number("42").to<int>().value() == 42);
  CHECK(number("1e3").to<int>().value() == 1000);
  CHECK(number("12.5e1").to<std::int64_t>().value() == 125);
  CHECK(number("-0").to<std::int64_t>().value() == 0);
  CHECK(number("9223372036854775807").to<std::int64_t>().value() == INT64_MAX);
  CHECK(number("-9223372036854775808").to<std::int64_t>().value() == INT64_MIN);
  CHECK(number("18446744073709551615").to<std::uint64_t>().value() == UINT64_MAX);
  CHECK(number(INT64_MIN).text() == "-9223372036854775808");
  CHECK(number(std::uint64_t{UINT64_MAX}).text() == "18446744073709551615");

  auto code = [](auto r) { return r ? std::error_code{} : r.error().code; };
  CHECK(code(number("9223372036854775808").to<std::int64_t>()) == errc::number_out_of_range);
  CHECK(code(number("-9223372036854775809").to<std::int64_t>()) == errc::number_out_of_range);
  CHECK(code(number("18446744073709551616").to<std::uint64_t>()) == errc::number_out_of_range);
  CHECK(code(number("1.5").to<int>()) == errc::number_out_of_range);
  CHECK(code(number("1E-5").to<int>()) == errc::number_out_of_range);
  CHECK(code(number("-1").to<unsigned>()) == errc::number_out_of_range);
  CHECK(code(number("128").to<std::int8_t>()) == errc::number_out_of_range);
  CHECK(code(number("1E100").to<std::int64_t>()) == errc::number_out_of_range);
  CHECK(number("127").to<std::int8_t>().value() == 127);

  CHECK(number("0.1").to<double>().value() == 0.1);
  CHECK(number("-2.5E10").to<double>().value() == -2.5e10);
  CHECK(number("+7").to<double>().value() == 7.0);
  CHECK(number(0.1).text() == "0.1");  // shortest round trip
  CHECK(number(0.1).to<double>().value() == 0.1);
}

TEST_CASE("numbers compare by value", "[value]") {
  CHECK(number("1") == number("1.0"));
  CHECK(number("1") == number("10E-1"));
  CHECK(number("0") == number("-0.000"));
  CHECK_FALSE(number("1") == number("1.0000000001"));
  CHECK(compare(number("-2"), number("1")) < 0);
  CHECK(compare(number("-2"), number("-10")) > 0);
  CHECK(compare(number("1.5"), number("1.25")) > 0);
  CHECK(compare(number("100"), number("99.999")) > 0);
}

TEST_CASE("values hold every DynamoDB type and say which", "[value]") {
  CHECK(value().kind() == type::null);
  CHECK(value(null).kind() == type::null);
  CHECK(value(true).kind() == type::boolean);
  CHECK(value("s").kind() == type::string);
  CHECK(value(std::string("s")).kind() == type::string);
  CHECK(value(std::string_view("s")).kind() == type::string);
  CHECK(value(7).kind() == type::number);
  CHECK(value(7u).kind() == type::number);
  CHECK(value(2.5).kind() == type::number);
  CHECK(value(to_bytes("ab")).kind() == type::binary);
  CHECK(value(item{{"a", 1}}).kind() == type::map);
  CHECK(value(list{1, "x"}).kind() == type::list);
  CHECK(value(string_set{"a", "b"}).kind() == type::string_set);
  CHECK(value(number_set{1, 2}).kind() == type::number_set);
  CHECK(value(binary_set{to_bytes("a")}).kind() == type::binary_set);
  CHECK(type_name(type::binary_set) == "BS");
  CHECK(type_name(type::null) == "NULL");

  const value v = 7;
  CHECK(v.as_number().to<int>().value() == 7);
  CHECK(v.get_if<std::string>() == nullptr);
  try {
    (void)v.as_string();
    FAIL("expected wrong_value_type");
  } catch (const ddb::error& e) {
    CHECK(e.code() == errc::wrong_value_type);
    CHECK(std::string(e.what()).find("N, not S") != std::string::npos);
  }
}

TEST_CASE("items keep insertion order and unique names", "[value]") {
  item it{{"pk", "user#1"}, {"n", 42}, {"pk", "user#2"}};
  REQUIRE(it.size() == 2);
  CHECK(it.at("pk").as_string() == "user#2");
  it["new"] = true;
  it.insert_or_assign("n", 43);
  CHECK(it.at("n") == value(43));
  CHECK(it.begin()->first == "pk");
  CHECK((it.begin() + 2)->first == "new");
  CHECK(it.erase("pk"));
  CHECK_FALSE(it.erase("pk"));
  CHECK_FALSE(it.contains("pk"));
  CHECK_THROWS_AS(it.at("missing"), ddb::error);

  // Equality ignores member order; numbers compare by value.
  CHECK(item{{"a", 1}, {"b", "x"}} == item{{"b", "x"}, {"a", number("1.0")}});
  CHECK_FALSE(item{{"a", 1}} == item{{"a", 2}});
  CHECK_FALSE(item{{"a", 1}} == item{{"a", 1}, {"b", 1}});
}

TEST_CASE("values are cheap to move", "[value]") {
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<value>);
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<item>);
  STATIC_REQUIRE(sizeof(value) <= 40);
  value big = std::string(100000, 'x');
  const char* data = big.as_string().data();
  value moved = std::move(big);
  CHECK(moved.as_string().data() == data);  // no copy of the payload
}

TEST_CASE("sets compare as sets", "[value]") {
  CHECK(value(string_set{"a", "b"}) == value(string_set{"b", "a"}));
  CHECK_FALSE(value(string_set{"a", "b"}) == value(string_set{"a", "c"}));
  CHECK(value(number_set{1, number("2.50")}) == value(number_set{number("2.5"), number("1e0")}));
  CHECK(value(binary_set{to_bytes("x"), to_bytes("y")}) == value(binary_set{to_bytes("y"), to_bytes("x")}));
  CHECK_FALSE(value(list{1, 2}) == value(list{2, 1}));  // lists keep their order
  CHECK_FALSE(value(string_set{"a"}) == value(list{"a"}));
}
