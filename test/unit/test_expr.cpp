// The expression builder: the text it renders, its placeholders, its limits.
#include <catch2/catch.hpp>

#include "ddb/expr.hpp"
#include "ddb/model.hpp"

using namespace ddb;
using namespace ddb::expr;

TEST_CASE("conditions render with a placeholder for every name and value", "[expr]") {
  placeholders p;
  const auto text = render(attr("n") < 5 && attr("s").begins_with("x"), p);
  CHECK(text == "(#n0 < :v0) AND (begins_with(#n1, :v1))");
  CHECK(p.names() == std::map<std::string, std::string>{{"#n0", "n"}, {"#n1", "s"}});
  CHECK(p.values() == item{{":v0", 5}, {":v1", "x"}});

  placeholders q;
  CHECK(render(!(attr("a") == attr("b")) || attr("size").size() >= 3, q) == "(NOT (#n0 = #n1)) OR (size(#n2) >= :v0)");
  placeholders r;
  CHECK(render(attr("n").between(1, 9), r) == "#n0 BETWEEN :v0 AND :v1");
  placeholders s;
  CHECK(render(attr("c").in({"red", "green", attr("fallback")}), s) == "#n0 IN (:v0, :v1, #n1)");
  placeholders t;
  CHECK(render(attr("x").exists() && attr("y").not_exists() && attr("z").type_is("N") && attr("tags").contains("a"), t) ==
        "(((attribute_exists(#n0)) AND (attribute_not_exists(#n1))) AND (attribute_type(#n2, :v0))) AND "
        "(contains(#n3, :v1))");
  placeholders u;
  CHECK(render(attr("a") != 1 && attr("a") <= 2 && attr("a") > 0, u) == "((#n0 <> :v0) AND (#n0 <= :v1)) AND (#n0 > :v2)");
}

TEST_CASE("paths: nested members and list elements, odd names kept verbatim", "[expr]") {
  placeholders p;
  const paths proj{attr("profile")["name"], attr("tags")[0], attr("a.b"), attr("x y")["#z"][12]};
  CHECK(render(proj, p) == "#n0.#n1, #n2[0], #n3, #n4.#n5[12]");
  CHECK(p.names().at("#n3") == "a.b");
  CHECK(p.names().at("#n4") == "x y");
  CHECK(p.names().at("#n5") == "#z");
}

TEST_CASE("updates render SET, REMOVE, ADD and DELETE clauses", "[expr]") {
  placeholders p;
  const auto u = set("a", 1)
                     .set("n", attr("n") + 1)
                     .set("m", attr("m") - attr("d"))
                     .set("first", if_not_exists(attr("first"), "now"))
                     .set("log", list_append(attr("log"), list{value("e")}))
                     .add("cnt", 1)
                     .add("tags", string_set{"t"})
                     .remove("b")
                     .remove(attr("c")[2])
                     .delete_("old", string_set{"o"});
  CHECK(render(u, p) ==
        "SET #n0 = :v0, #n1 = #n1 + :v1, #n2 = #n2 - #n3, #n4 = if_not_exists(#n4, :v2), #n5 = list_append(#n5, :v3) "
        "REMOVE #n6, #n7[2] ADD #n8 :v4, #n9 :v5 DELETE #n10 :v6");
  CHECK(u.actions() == 10);
}

TEST_CASE("apply fills a request and merges with placeholders already there", "[expr]") {
  update_item_request r;
  r.table_name = "t";
  r.expression_attribute_names = {{"#n0", "kept"}};
  r.expression_attribute_values = item{{":v0", "kept"}};
  apply(r, {.condition = attr("version") == 3, .update = set("version", attr("version") + 1)});
  CHECK(r.condition_expression == "#n1 = :v1");
  CHECK(r.update_expression == "SET #n1 = #n1 + :v2");
  CHECK(r.expression_attribute_names == std::map<std::string, std::string>{{"#n0", "kept"}, {"#n1", "version"}});
  CHECK(r.expression_attribute_values == item{{":v0", "kept"}, {":v1", 3}, {":v2", 1}});

  query_request q;
  apply(q, {.key_condition = attr("pk") == "a", .filter = attr("n") > 1, .projection = paths{attr("n")}});
  CHECK(q.key_condition_expression == "#n0 = :v0");
  CHECK(q.filter_expression == "#n1 > :v1");
  CHECK(q.projection_expression == "#n1");
}

TEST_CASE("expression limits and misuse are errors naming the limit", "[expr]") {
  auto code_of = [](auto f) {
    try {
      f();
    } catch (const ddb::error& e) {
      return e.code();
    }
    return std::error_code{};
  };
  CHECK(code_of([] {
          std::vector<operand> many(101, operand(1));
          (void)attr("x").in(many);
        }) == errc::expression_too_long);
  CHECK(code_of([] {
          placeholders p;
          expr::condition c = attr("a") == 0;
          for (int i = 1; i < 300; ++i) c = c || attr("a" + std::to_string(i)) == i;
          (void)render(c, p);
        }) == errc::expression_too_long);
  CHECK(code_of([] {
          placeholders p;
          update u;
          for (int i = 0; i < 301; ++i) u.set("a" + std::to_string(i), i);
          (void)render(u, p);
        }) == errc::expression_too_long);
  CHECK(code_of([] {
          placeholders p;
          (void)render(update(), p);
        }) == errc::invalid_config);
  CHECK(code_of([] {
          placeholders p;
          (void)render(attr("") == 1, p);
        }) == errc::invalid_config);
  CHECK(code_of([] {
          get_item_request g;
          apply(g, {.filter = attr("a") == 1});  // GetItem has no FilterExpression
        }) == errc::invalid_config);
}
