#pragma once
// Expressions built in C++, with placeholders allocated for every name and
// value, so reserved words ("name", "size", "status") and odd names ("a.b",
// "x y", "#x") are always safe:
//
//   using namespace ddb::expr;
//   query_request q{.table_name = "events"};
//   expressions e;
//   e.key_condition = attr("pk") == "user#1" && attr("sk").begins_with("2026-");
//   e.filter = attr("n") < 5 || !attr("archived").exists();
//   e.projection = paths{attr("pk"), attr("profile")["name"], attr("tags")[0]};
//   apply(q, e);   // fills KeyConditionExpression, FilterExpression, ProjectionExpression and the maps
//
//   update_item_request u{...};
//   apply(u, {.condition = attr("version") == 3,
//             .update = set("a", 1).set("n", attr("n") + 1).add("cnt", 1).remove("b")});
//
// Checked before sending (ddb::error): an expression over 4 KB
// (errc::expression_too_long), IN with more than 100 operands, an update with
// no action or over 300 operators, an empty attribute name.
#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/core/value.hpp"

namespace ddb::expr {

/// Gives out `#n0`, `#n1`, ... for names (one per distinct name) and `:v0`,
/// `:v1`, ... for values, and collects them for the request's maps.
class placeholders {
 public:
  placeholders() = default;  ///< no placeholder taken yet
  /// Placeholders already used by a request are skipped.
  placeholders(const std::map<std::string, std::string>& taken_names, const ddb::item* taken_values);

  /// The placeholder of an attribute name, the same each time the name comes
  /// back. Throws ddb::error (errc::invalid_config) for an empty name or one
  /// over 65,535 bytes.
  std::string name(std::string_view attribute);
  /// A new placeholder holding `v` (one per call: equal values are not shared).
  std::string value(ddb::value v);
  /// Placeholder to attribute name, for ExpressionAttributeNames.
  std::map<std::string, std::string>& names() noexcept { return names_; }
  /// Placeholder to value, for ExpressionAttributeValues.
  ddb::item& values() noexcept { return values_; }

 private:
  std::map<std::string, std::string> names_;       ///< "#n0" -> "name"
  std::map<std::string, std::string, std::less<>> by_name_;  ///< "name" -> "#n0"
  ddb::item values_;
  std::size_t next_name_ = 0, next_value_ = 0;
  const std::map<std::string, std::string>* taken_names_ = nullptr;
  const ddb::item* taken_values_ = nullptr;
};

/// Renders into `out`, taking placeholders from `p`.
using renderer = std::function<void(std::string& out, placeholders& p)>;

class condition;
class operand;

/// A document path: attr("a")["b"][2] is a.b[2] (each name a placeholder).
class path {
 public:
  /// The top-level attribute `name` (any characters: it becomes a placeholder;
  /// an empty name throws when rendered).
  explicit path(std::string name);
  path operator[](std::string key) const;  ///< a nested map member
  path operator[](std::size_t index) const;  ///< a list element
  /// A list element; `index` must not be negative.
  path operator[](int index) const { return (*this)[static_cast<std::size_t>(index)]; }

  condition exists() const;      ///< attribute_exists
  condition not_exists() const;  ///< attribute_not_exists
  condition type_is(std::string dynamodb_type) const;  ///< attribute_type: "S", "N", "M", ...
  /// begins_with(path, prefix): a string or binary prefix.
  condition begins_with(ddb::value prefix) const;
  condition contains(ddb::value element) const;  ///< a substring, or an element of a set or list
  /// `path BETWEEN low AND high` (both bounds included).
  condition between(const operand& low, const operand& high) const;
  condition in(std::vector<operand> candidates) const;  ///< 1 to 100 operands
  operand size() const;  ///< size(path), an operand

  /// Appends the path to `out`, names as placeholders from `p` (which throws
  /// ddb::error for an empty name).
  void render(std::string& out, placeholders& p) const;

 private:
  struct segment {
    std::string name;
    std::optional<std::size_t> index;
  };
  std::vector<segment> segments_;
};

/// The path of the top-level attribute `name`: `attr("a")["b"][2]`.
inline path attr(std::string name) { return path(std::move(name)); }

/// Something with a value: a path, a literal value, size(path), or (in
/// updates) if_not_exists / list_append / a sum or difference.
class operand {
 public:
  /// The attribute at `p` (copied).
  operand(const path& p);
  /// A literal: anything a ddb::value is made from, sent as a value placeholder.
  template <class T>
    requires std::constructible_from<ddb::value, T> && (!std::same_as<std::decay_t<T>, path>)
  operand(T&& v) : operand(ddb::value(std::forward<T>(v)), literal_tag{}) {}
  /// Any text: `r` renders it.
  explicit operand(renderer r) : render_(std::move(r)) {}

  /// Appends the operand to `out`, taking placeholders from `p`.
  void render(std::string& out, placeholders& p) const { render_(out, p); }

 private:
  struct literal_tag {};
  operand(ddb::value v, literal_tag);
  renderer render_;
};

/// `if_not_exists(p, otherwise)`: the attribute at `p`, or `otherwise` when it is absent (updates).
operand if_not_exists(const path& p, const operand& otherwise);
/// `list_append(a, b)`: the list `a` followed by the list `b` (updates).
operand list_append(const operand& a, const operand& b);
/// `a + b` (updates: a number plus a number).
operand operator+(const operand& a, const operand& b);
/// `a - b` (updates: a number minus a number).
operand operator-(const operand& a, const operand& b);

/// A condition: a key condition, a filter or a write's condition. Made by
/// comparing operands, by path functions such as exists(), and by `&&`,
/// `||` and `!`.
class condition {
 public:
  /// Any text: `r` renders it.
  explicit condition(renderer r) : render_(std::move(r)) {}
  /// Appends the condition to `out`, taking placeholders from `p`.
  void render(std::string& out, placeholders& p) const { render_(out, p); }

 private:
  renderer render_;
};

/// `a = b`
condition operator==(const operand& a, const operand& b);
/// `a <> b`
condition operator!=(const operand& a, const operand& b);
/// `a < b`
condition operator<(const operand& a, const operand& b);
/// `a <= b`
condition operator<=(const operand& a, const operand& b);
/// `a > b`
condition operator>(const operand& a, const operand& b);
/// `a >= b`
condition operator>=(const operand& a, const operand& b);
/// `(a) AND (b)`: both sides in parentheses, so the text means what the C++ said.
condition operator&&(const condition& a, const condition& b);
/// `(a) OR (b)`: both sides in parentheses.
condition operator||(const condition& a, const condition& b);
/// `NOT (c)`
condition operator!(const condition& c);

/// SET / REMOVE / ADD / DELETE actions, in the order given within each clause.
class update {
 public:
  /// `SET p = v`
  update& set(const path& p, const operand& v);
  /// `SET name = v` for a top-level attribute.
  update& set(std::string name, const operand& v) { return set(attr(std::move(name)), v); }
  /// `REMOVE p`
  update& remove(const path& p);
  /// `REMOVE name` for a top-level attribute.
  update& remove(std::string name) { return remove(attr(std::move(name))); }
  update& add(const path& p, const operand& v);  ///< a number to add, or a set's elements
  /// `ADD name v` for a top-level attribute: a number to add, or a set's elements.
  update& add(std::string name, const operand& v) { return add(attr(std::move(name)), v); }
  update& delete_(const path& p, const operand& elements);  ///< elements leave a set
  /// `DELETE name elements` for a top-level attribute: the elements leave the set.
  update& delete_(std::string name, const operand& elements) { return delete_(attr(std::move(name)), elements); }

  /// True when it holds no action.
  bool empty() const noexcept;
  /// The number of actions over the four clauses.
  std::size_t actions() const noexcept;
  /// Appends the clauses (after a space when `out` is not empty), without the
  /// limit checks that render(const update&, placeholders&) makes.
  void render(std::string& out, placeholders& p) const;

 private:
  std::vector<renderer> sets_, removes_, adds_, deletes_;
};

/// An update starting with `SET p = v`.
inline update set(const path& p, const operand& v) { return update().set(p, v); }
/// An update starting with `SET name = v`.
inline update set(std::string name, const operand& v) { return update().set(std::move(name), v); }
/// An update starting with `REMOVE p`.
inline update remove(const path& p) { return update().remove(p); }
/// An update starting with `REMOVE name`.
inline update remove(std::string name) { return update().remove(std::move(name)); }
/// An update starting with `ADD p v`.
inline update add(const path& p, const operand& v) { return update().add(p, v); }
/// An update starting with `ADD name v`.
inline update add(std::string name, const operand& v) { return update().add(std::move(name), v); }

using paths = std::vector<path>;  ///< a projection

/// The expressions of one request; apply() renders those the request type has.
struct expressions {  // members initialised: designated initialisers may name only some (-Wextra stays quiet)
  /// KeyConditionExpression (Query).
  std::optional<expr::condition> key_condition{};
  /// FilterExpression (Query, Scan).
  std::optional<expr::condition> filter{};
  /// ConditionExpression (PutItem, UpdateItem, DeleteItem, transaction actions).
  std::optional<expr::condition> condition{};
  /// UpdateExpression (UpdateItem, a transaction's Update).
  std::optional<expr::update> update{};
  /// ProjectionExpression (GetItem, Query, Scan, ...).
  std::optional<expr::paths> projection{};
};

/// Rendering, with the limits checked (throws ddb::error): a condition over
/// 4 KB is errc::expression_too_long.
std::string render(const condition& c, placeholders& p);
/// An update expression; throws ddb::error: errc::invalid_config when it has
/// no action, errc::expression_too_long over 300 actions or 4 KB.
std::string render(const update& u, placeholders& p);
/// A projection; throws ddb::error: errc::invalid_config when it is empty,
/// errc::expression_too_long over 4 KB.
std::string render(const paths& projection, placeholders& p);

/// Throws ddb::error (errc::invalid_config) saying the request has no `member`; used by apply().
[[noreturn]] void no_such_expression(const char* member);

/// Fills the request's expressions and its ExpressionAttributeNames/Values
/// (merged with any already there). An expression the request type has no
/// member for throws ddb::error (errc::invalid_config).
template <class Request>
void apply(Request& r, const expressions& e) {
  const ddb::item* taken_values = nullptr;
  if constexpr (requires { r.expression_attribute_values; }) taken_values = &r.expression_attribute_values;
  placeholders p(r.expression_attribute_names, taken_values);
  if (e.key_condition) {
    if constexpr (requires { r.key_condition_expression; })
      r.key_condition_expression = render(*e.key_condition, p);
    else
      no_such_expression("KeyConditionExpression");
  }
  if (e.filter) {
    if constexpr (requires { r.filter_expression; })
      r.filter_expression = render(*e.filter, p);
    else
      no_such_expression("FilterExpression");
  }
  if (e.condition) {
    if constexpr (requires { r.condition_expression; })
      r.condition_expression = render(*e.condition, p);
    else
      no_such_expression("ConditionExpression");
  }
  if (e.update) {
    if constexpr (requires { r.update_expression; })
      r.update_expression = render(*e.update, p);
    else
      no_such_expression("UpdateExpression");
  }
  if (e.projection) {
    if constexpr (requires { r.projection_expression; })
      r.projection_expression = render(*e.projection, p);
    else
      no_such_expression("ProjectionExpression");
  }
  for (auto& [k, v] : p.names()) r.expression_attribute_names[k] = v;
  if constexpr (requires { r.expression_attribute_values; }) {
    for (auto& [k, v] : p.values()) r.expression_attribute_values.insert_or_assign(k, std::move(v));
  } else if (!p.values().empty()) {
    no_such_expression("ExpressionAttributeValues");
  }
}

}  // namespace ddb::expr
