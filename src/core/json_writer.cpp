#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/base64.hpp"
#include "core/byte_scan.hpp"
#include "core/json_write.hpp"
#include "core/json_path.hpp"
#include "core/set_check.hpp"
#include "ddb/core/json.hpp"

namespace ddb::json {
namespace {

// 1 for bytes that must be escaped inside a JSON string.
constexpr auto escape_table = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 1;
  t['"'] = 1;
  t['\\'] = 1;
  return t;
}();

}  // namespace

void writer::append_string(std::string_view s) {
  // Nearly every string needs no escape: one search, one copy.
  const std::size_t first = ddb::detail::find_json_escape(s.data(), s.size());
  out_ += '"';
  out_.append(s.data(), first);
  if (first == s.size()) {
    out_ += '"';
    return;
  }
  std::size_t run = first;  // start of the pending unescaped run
  for (std::size_t i = first; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (!escape_table[c]) continue;
    out_.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      case '\b': out_ += "\\b"; break;
      case '\f': out_ += "\\f"; break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        const char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        out_.append(esc, 6);
      }
    }
  }
  out_.append(s.data() + run, s.size() - run);
  out_ += '"';
}

void writer::integer(long long v) {
  char buf[24];
  raw(std::string_view(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf)));
}

bool valid_utf8(std::string_view s) noexcept {
  // Most attribute names and values are short ASCII: check that inline before
  // paying for the dispatched SIMD validator.
  if (s.size() <= 64) {
    unsigned char any_high = 0;
    for (char c : s) any_high |= static_cast<unsigned char>(c);
    if (!(any_high & 0x80)) return true;
  }
  return simdjson::validate_utf8(s.data(), s.size());
}

namespace detail {
namespace {

located duplicate_in(type t) {
  return located::make(errc::duplicate_in_set,
                       "a " + std::string(type_name(t)) + " set holds the same element twice; sets hold distinct elements");
}

// Sets must be non-empty and hold distinct elements; DynamoDB rejects both.
template <class T, class Less, class Equal>
located check_set_with(const std::vector<T>& s, type t, Less less, Equal equal) {
  if (s.empty())
    return located::make(errc::empty_set, "an empty " + std::string(type_name(t)) +
                                              " set; DynamoDB does not store empty sets: remove the attribute instead");
  if (s.size() < 2) return {};
  if (s.size() <= 8) {  // small sets, the common case: no allocation
    for (std::size_t i = 1; i < s.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (equal(s[i], s[j])) return duplicate_in(t);
    return {};
  }
  std::vector<const T*> sorted;
  sorted.reserve(s.size());
  for (const T& e : s) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [&](const T* a, const T* b) { return less(*a, *b); });
  for (std::size_t i = 1; i < sorted.size(); ++i)
    if (equal(*sorted[i - 1], *sorted[i])) return duplicate_in(t);
  return {};
}

}  // namespace

located check_set(const string_set& s) { return check_set_with(s, type::string_set, std::less<>{}, std::equal_to<>{}); }
located check_set(const number_set& s) {
  return check_set_with(s, type::number_set, [](const number& a, const number& b) { return compare(a, b) < 0; },
                        std::equal_to<>{});
}
located check_set(const binary_set& s) { return check_set_with(s, type::binary_set, std::less<>{}, std::equal_to<>{}); }

}  // namespace detail

namespace {

// {"S": and the like: the start of a value, without escaping its type name.
std::string_view opening_of(type t) {
  switch (t) {
    case type::null: return R"({"NULL":)";
    case type::boolean: return R"({"BOOL":)";
    case type::string: return R"({"S":)";
    case type::number: return R"({"N":)";
    case type::binary: return R"({"B":)";
    case type::map: return R"({"M":)";
    case type::list: return R"({"L":)";
    case type::string_set: return R"({"SS":)";
    case type::number_set: return R"({"NS":)";
    case type::binary_set: return R"({"BS":)";
  }
  return R"({"?":)";
}

located write_item_members(writer& w, const item& it, int depth);

located write_value_at(writer& w, const value& v, int depth) {
  if (depth > max_nesting_depth)
    return located::make(errc::nesting_too_deep, "values nest more than " + std::to_string(max_nesting_depth) +
                                                     " levels deep, DynamoDB's limit");
  w.open_with_key(opening_of(v.kind()));
  switch (v.kind()) {
    case type::null: w.boolean(true); break;
    case type::boolean: w.boolean(*v.get_if<bool>()); break;
    case type::string: {
      const std::string& s = *v.get_if<std::string>();
      if (auto e = detail::check_text(s, "the string")) return e;
      w.string(s);
      break;
    }
    case type::number: w.string(detail::number_text(*v.get_if<number>())); break;
    case type::binary: detail::write_base64(w, *v.get_if<bytes>()); break;
    case type::map:
      if (auto e = write_item_members(w, *v.get_if<item>(), depth + 1)) return e;
      break;
    case type::list: {
      w.begin_array();
      std::size_t i = 0;
      for (const value& e : *v.get_if<list>()) {
        if (auto err = write_value_at(w, e, depth + 1)) return std::move(err).under_index(i);
        ++i;
      }
      w.end_array();
      break;
    }
    case type::string_set: {
      const string_set& s = *v.get_if<string_set>();
      if (auto e = detail::check_set(s)) return e;
      w.begin_array();
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (auto e = detail::check_text(s[i], "the string")) return std::move(e).under_index(i);
        w.string(s[i]);
      }
      w.end_array();
      break;
    }
    case type::number_set: {
      const number_set& s = *v.get_if<number_set>();
      if (auto e = detail::check_set(s)) return e;
      w.begin_array();
      for (const number& n : s) w.string(detail::number_text(n));
      w.end_array();
      break;
    }
    case type::binary_set: {
      const binary_set& s = *v.get_if<binary_set>();
      if (auto e = detail::check_set(s)) return e;
      w.begin_array();
      for (const bytes& b : s) detail::write_base64(w, b);
      w.end_array();
      break;
    }
  }
  w.end_object();
  return {};
}

located write_item_members(writer& w, const item& it, int depth) {
  w.begin_object();
  for (const auto& [name, v] : it) {
    if (auto e = detail::check_text(name, "the attribute name")) return std::move(e).under_key(name);
    w.key(name);
    if (auto e = write_value_at(w, v, depth)) return std::move(e).under_key(name);
  }
  w.end_object();
  return {};
}

}  // namespace

result<void> write_value(writer& w, const value& v) {
  return detail::guarded(w, [&] { return write_value_at(w, v, 1); });
}

result<void> write_item(writer& w, const item& it) {
  return detail::guarded(w, [&] { return write_item_members(w, it, 1); });
}

std::string to_json(const item& it) {
  std::string out;
  writer w(out);
  write_item(w, it).value();
  return out;
}

std::string to_json(const value& v) {
  std::string out;
  writer w(out);
  write_value(w, v).value();
  return out;
}

}  // namespace ddb::json
