// Plain JSON <-> the value model (see ddb/core/json.hpp): what applications
// and HTTP clients speak, without DynamoDB's type tags.
#include <string>

#include "core/json_read.hpp"
#include "core/json_write.hpp"
#include "ddb/core/json.hpp"

namespace ddb::json {
namespace {

namespace od = simdjson::ondemand;
using detail::check_text;
using detail::guarded;
using detail::number_text;
using detail::write_base64;

located too_deep() {
  return located::make(errc::nesting_too_deep, "values nest more than " + std::to_string(max_nesting_depth) +
                                                   " levels deep, DynamoDB's limit");
}

located write_plain_at(writer& w, const value& v, int depth);

located write_members(writer& w, const item& it, int depth) {
  w.begin_object();
  for (const auto& [name, v] : it) {
    if (auto e = check_text(name, "the attribute name")) return std::move(e).under_key(name);
    w.key(name);
    if (auto e = write_plain_at(w, v, depth)) return std::move(e).under_key(name);
  }
  w.end_object();
  return {};
}

located write_plain_at(writer& w, const value& v, int depth) {
  if (depth > max_nesting_depth) return too_deep();
  switch (v.kind()) {
    case type::null: w.raw("null"); break;
    case type::boolean: w.boolean(*v.get_if<bool>()); break;
    case type::string: {
      const std::string& s = *v.get_if<std::string>();
      if (auto e = check_text(s, "the string")) return e;
      w.string(s);
      break;
    }
    case type::number: w.raw(number_text(*v.get_if<number>())); break;  // the exact text: no rounding
    case type::binary: write_base64(w, *v.get_if<bytes>()); break;
    case type::map:
      if (auto e = write_members(w, *v.get_if<item>(), depth + 1)) return e;
      break;
    case type::list: {
      w.begin_array();
      std::size_t i = 0;
      for (const value& e : *v.get_if<list>()) {
        if (auto err = write_plain_at(w, e, depth + 1)) return std::move(err).under_index(i);
        ++i;
      }
      w.end_array();
      break;
    }
    case type::string_set: {
      w.begin_array();
      const string_set& s = *v.get_if<string_set>();
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (auto e = check_text(s[i], "the string")) return std::move(e).under_index(i);
        w.string(s[i]);
      }
      w.end_array();
      break;
    }
    case type::number_set:
      w.begin_array();
      for (const number& n : *v.get_if<number_set>()) w.raw(number_text(n));
      w.end_array();
      break;
    case type::binary_set:
      w.begin_array();
      for (const bytes& b : *v.get_if<binary_set>()) write_base64(w, b);
      w.end_array();
      break;
  }
  return {};
}

located read_plain(od::value& v, int depth, value& out);

located read_plain_members(od::object& o, int depth, item& out) {
  for (auto field : o) {
    if (auto ec = field.error()) return detail::from_simdjson(ec, "an attribute name");
    std::string_view key;
    if (auto ec = detail::key_of(field.value_unsafe(), key)) return detail::from_simdjson(ec, "an attribute name");
    std::string name(key);
    od::value fv = field.value_unsafe().value();
    value& slot = out.push_back_unchecked(name, value());
    if (auto e = read_plain(fv, depth, slot)) return std::move(e).under_key(name);
  }
  return detail::check_unique_names(out);
}

// A scalar: null, true/false, a string or a number.
located read_scalar(od::value& v, od::json_type t, value& out) {
  switch (t) {
    case od::json_type::null: {
      bool is_null = false;
      if (auto ec = v.is_null().get(is_null)) return detail::from_simdjson(ec, "null");
      if (!is_null) return located::make(errc::invalid_json, "malformed JSON: expected null");
      out = value(null_t{});
      return {};
    }
    case od::json_type::boolean: {
      bool b = false;
      if (auto ec = v.get_bool().get(b)) return detail::from_simdjson(ec, "true or false");
      out = value(b);
      return {};
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto ec = v.get_string().get(s)) return detail::from_simdjson(ec, "a JSON string");
      out = value(std::string(s));
      return {};
    }
    case od::json_type::number: {
      // The token's own text, so 38-digit numbers keep every digit.
      const std::string_view text = detail::raw_token(v);
      auto n = number::parse(text);
      if (!n) return located::make(static_cast<errc>(n.error().code.value()), n.error().message);
      out = value(std::move(*n));
      return {};
    }
    default:
      return located::make(errc::invalid_json, "not a JSON value");
  }
}

located read_plain(od::value& v, int depth, value& out) {
  if (depth > max_nesting_depth) return too_deep();
  od::json_type t;
  if (auto ec = v.type().get(t)) return detail::from_simdjson(ec, "a JSON value");
  if (t == od::json_type::array) {
    od::array arr;
    if (auto ec = v.get_array().get(arr)) return detail::from_simdjson(ec, "a JSON array");
    list l;
    std::size_t i = 0;
    for (auto element : arr) {
      od::value ev;
      if (auto ec = element.get(ev)) return detail::from_simdjson(ec, "a value").under_index(i);
      if (auto e = read_plain(ev, depth + 1, l.emplace_back())) return std::move(e).under_index(i);
      ++i;
    }
    out = value(std::move(l));
    return {};
  }
  if (t == od::json_type::object) {
    od::object o;
    if (auto ec = v.get_object().get(o)) return detail::from_simdjson(ec, "a JSON object");
    item m;
    if (auto e = read_plain_members(o, depth + 1, m)) return e;
    out = value(std::move(m));
    return {};
  }
  return read_scalar(v, t, out);
}

}  // namespace

result<void> write_plain_value(writer& w, const value& v) {
  return guarded(w, [&] { return write_plain_at(w, v, 1); });
}

result<void> write_plain_item(writer& w, const item& it) {
  return guarded(w, [&] { return write_members(w, it, 1); });
}

std::string to_plain_json(const item& it) {
  std::string out;
  writer w(out);
  write_plain_item(w, it).value();
  return out;
}

std::string to_plain_json(const value& v) {
  std::string out;
  writer w(out);
  write_plain_value(w, v).value();
  return out;
}

result<value> parse_plain_value(std::string_view json) {
  // Read as the one element of an array: simdjson's on-demand API checks a
  // scalar document (12, "s") for trailing text only through its typed gets.
  std::string wrapped;
  wrapped.reserve(json.size() + 2);
  wrapped.append("[").append(json).append("]");
  value out;
  located e = detail::parse_document(wrapped, [&](od::document& doc) {
    od::array arr;
    if (auto ec = doc.get_array().get(arr)) return detail::from_simdjson(ec, "a JSON value");
    std::size_t n = 0;
    for (auto element : arr) {
      if (n++ > 0) return located::make(errc::invalid_json, "unexpected text after the JSON document");
      od::value v;
      if (auto ec = element.get(v)) return detail::from_simdjson(ec, "a JSON value");
      if (auto err = read_plain(v, 1, out)) return err;
    }
    if (n == 0) return located::make(errc::invalid_json, "the body is empty; expected a JSON document");
    return located{};
  });
  if (e) return e.to_failure("");
  return out;
}

result<item> parse_plain_item(std::string_view json) {
  item out;
  located e = detail::parse_document(json, [&](od::document& doc) {
    od::object o;
    if (auto ec = doc.get_object().get(o)) return detail::from_simdjson(ec, "a JSON object");
    return read_plain_members(o, 1, out);
  });
  if (e) return e.to_failure("");
  return out;
}

}  // namespace ddb::json
