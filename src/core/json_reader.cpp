#include <algorithm>
#include <cstdint>

#include "core/base64.hpp"
#include "core/json_read.hpp"
#include "core/set_check.hpp"
#include "ddb/core/json.hpp"

namespace ddb::json {
namespace detail {

simdjson::padded_string_view reader_state::pad(std::string_view json) {
  buffer.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  buffer.assign(json);
  return simdjson::padded_string_view(buffer.data(), buffer.size(), buffer.capacity());
}

simdjson::padded_string_view reader_state::pad(const std::string& json) {
  if (json.capacity() - json.size() >= simdjson::SIMDJSON_PADDING)
    return simdjson::padded_string_view(json.data(), json.size(), json.capacity());
  return pad(std::string_view(json));
}

reader_state& thread_reader() {
  thread_local reader_state state;
  return state;
}

located from_simdjson(simdjson::error_code ec, std::string_view expected) {
  using simdjson::error_code;
  switch (ec) {
    case error_code::INCORRECT_TYPE:
      return located::make(errc::unexpected_json, "expected " + std::string(expected));
    case error_code::DEPTH_ERROR:
      return located::make(errc::nesting_too_deep, "JSON nests deeper than the parser allows");
    case error_code::UTF8_ERROR:
      return located::make(errc::invalid_utf8, "the JSON text is not valid UTF-8");
    case error_code::STRING_ERROR:
      return located::make(errc::invalid_json, "a string holds an invalid escape sequence");
    case error_code::EMPTY:
      return located::make(errc::invalid_json, "the body is empty; expected a JSON document");
    default:
      return located::make(errc::invalid_json,
                           "malformed or truncated JSON (" + std::string(simdjson::error_message(ec)) + ")");
  }
}

namespace {
located duplicate_name(std::string_view name) {
  return located::make(errc::unexpected_json, "attribute name '" + std::string(name) + "' appears twice");
}

}  // namespace

located check_unique_names(const item& it) {
  if (it.size() < 2) return {};
  if (it.size() <= 32) {  // typical items: no allocation, and names compared only when a cheap signature repeats
    std::uint64_t signatures = 0;  // a bit per (length, first letter) class seen
    for (auto i = it.begin(); i != it.end(); ++i) {
      const std::string& name = i->first;
      const std::uint64_t bit = std::uint64_t{1} << ((name.size() * 7 + static_cast<unsigned char>(name[0])) & 63);
      if (signatures & bit)
        for (auto j = it.begin(); j != i; ++j)
          if (j->first == name) return duplicate_name(name);
      signatures |= bit;
    }
    return {};
  }
  std::vector<std::string_view> names;
  names.reserve(it.size());
  for (const auto& m : it) names.push_back(m.first);
  std::sort(names.begin(), names.end());
  const auto dup = std::adjacent_find(names.begin(), names.end());
  if (dup != names.end()) return duplicate_name(*dup);
  return {};
}

located read_string(simdjson::ondemand::value& v, std::string& out) {
  std::string_view s;
  if (auto ec = string_of(v, s)) return from_simdjson(ec, "a JSON string");
  out.assign(s);
  return {};
}

namespace {

located read_number(simdjson::ondemand::value& v, number& out) {
  std::string_view s;
  if (auto ec = string_of(v, s)) return from_simdjson(ec, "a number as a JSON string, e.g. \"42\"");
  auto n = number::parse(s);
  if (!n) return located::make(static_cast<errc>(n.error().code.value()), n.error().message);
  out = std::move(*n);
  return {};
}

located read_binary(simdjson::ondemand::value& v, bytes& out) {
  std::string_view s;
  if (auto ec = string_of(v, s)) return from_simdjson(ec, "base64 bytes as a JSON string");
  if (!base64::decode(s, out))
    return located::make(errc::invalid_base64, "binary value is not valid padded base64 (RFC 4648 alphabet)");
  return {};
}

// Reads a JSON array, calling each(element, index) for every element; sets
// must not be empty.
template <class Each>
located read_array(simdjson::ondemand::value& v, bool is_set, std::string_view what, Each each) {
  simdjson::ondemand::array arr;
  if (auto ec = v.get_array().get(arr)) return from_simdjson(ec, "a JSON array");
  std::size_t i = 0;
  for (auto element : arr) {
    if (auto ec = element.error()) return from_simdjson(ec, "an array element").under_index(i);
    if (auto e = each(element.value_unsafe(), i)) return std::move(e).under_index(i);
    ++i;
  }
  if (is_set && i == 0)
    return located::make(errc::empty_set, "an empty " + std::string(what) + " set; DynamoDB sets are never empty");
  return {};
}


}  // namespace

namespace {
enum class tag_kind { unknown, S, N, B, BOOL, NULL_, M, L, SS, NS, BS };

// The type tag from the key's text after its opening quote (a padded
// buffer, so reading a few bytes ahead is safe); unknown when it is not an
// unescaped tag.
tag_kind raw_tag(const char* r) noexcept {
  auto ends = [r](int n) { return r[n] == '"'; };
  switch (r[0]) {
    case 'S': return ends(1) ? tag_kind::S : (r[1] == 'S' && ends(2)) ? tag_kind::SS : tag_kind::unknown;
    case 'N':
      if (ends(1)) return tag_kind::N;
      if (r[1] == 'S' && ends(2)) return tag_kind::NS;
      return (r[1] == 'U' && r[2] == 'L' && r[3] == 'L' && ends(4)) ? tag_kind::NULL_ : tag_kind::unknown;
    case 'B':
      if (ends(1)) return tag_kind::B;
      if (r[1] == 'S' && ends(2)) return tag_kind::BS;
      return (r[1] == 'O' && r[2] == 'O' && r[3] == 'L' && ends(4)) ? tag_kind::BOOL : tag_kind::unknown;
    case 'M': return ends(1) ? tag_kind::M : tag_kind::unknown;
    case 'L': return ends(1) ? tag_kind::L : tag_kind::unknown;
    default: return tag_kind::unknown;
  }
}

tag_kind tag_of(std::string_view t) noexcept {
  static constexpr std::pair<std::string_view, tag_kind> all[] = {
      {"S", tag_kind::S},   {"N", tag_kind::N},   {"B", tag_kind::B},   {"BOOL", tag_kind::BOOL}, {"NULL", tag_kind::NULL_},
      {"M", tag_kind::M},   {"L", tag_kind::L},   {"SS", tag_kind::SS}, {"NS", tag_kind::NS},     {"BS", tag_kind::BS}};
  for (auto [name, kind] : all)
    if (name == t) return kind;
  return tag_kind::unknown;
}

const char* name_of(tag_kind k) noexcept {
  switch (k) {
    case tag_kind::S: return "S";
    case tag_kind::N: return "N";
    case tag_kind::B: return "B";
    case tag_kind::BOOL: return "BOOL";
    case tag_kind::NULL_: return "NULL";
    case tag_kind::M: return "M";
    case tag_kind::L: return "L";
    case tag_kind::SS: return "SS";
    case tag_kind::NS: return "NS";
    case tag_kind::BS: return "BS";
    case tag_kind::unknown: break;
  }
  return "?";
}
}  // namespace

// Lists and sets start with room for a few elements: one allocation instead
// of growing 1, 2, 4 (three allocations and two moves for a 3-element set).
constexpr std::size_t small_array = 4;

// Where read_value_with builds a value: a new element of a list, a new
// member of an item. Plain types (not lambdas inside the template), so the
// recursion through L and M values instantiates the template once.
struct element_of {
  list& l;
  template <class T, class... Args>
  T& operator()(std::in_place_type_t<T> type, Args&&... args) const {
    return *l.emplace_back(type, std::forward<Args>(args)...).template get_if<T>();
  }
};
struct member_of {
  item& it;
  std::string_view name;
  template <class T, class... Args>
  T& operator()(std::in_place_type_t<T> type, Args&&... args) const {
    return *it.push_back_unchecked(name, type, std::forward<Args>(args)...).template get_if<T>();
  }
};

// Reads one attribute value and builds it with make(std::in_place_type<T>,
// args...), which constructs the value where it lives (a member of an item,
// an element of a list) already holding the right type: no NULL first, no
// second construction, no move.
template <class Make>
located read_value_with(simdjson::ondemand::value& v, int depth, Make&& make) {
  if (depth > max_nesting_depth)
    return located::make(errc::nesting_too_deep, "values nest more than " + std::to_string(max_nesting_depth) +
                                                     " levels deep, DynamoDB's limit");
  simdjson::ondemand::object obj;
  if (auto ec = v.get_object().get(obj))
    return from_simdjson(ec, "an attribute value object such as {\"S\":\"text\"}");
  bool seen = false;
  for (auto field : obj) {
    if (auto ec = field.error()) return from_simdjson(ec, "an attribute type");
    // The type tag straight from the document; an escaped one (never seen
    // in practice) goes the unescaping way.
    tag_kind kind = raw_tag(field.value_unsafe().key().raw());
    std::string_view tag;
    if (kind == tag_kind::unknown) {
      if (auto ec = field.unescaped_key().get(tag)) return from_simdjson(ec, "an attribute type");
      kind = tag_of(tag);
    } else {
      tag = name_of(kind);
    }
    if (seen)
      return located::make(errc::invalid_attribute, "attribute value has more than one type (second: '" +
                                                        std::string(tag) + "'); give exactly one");
    seen = true;
    // The field's own value by reference: a copy here cost a store-forwarding stall per value.
    simdjson::ondemand::value& inner = field.value_unsafe().value();
    // Each branch builds the value in place: no temporary, no second move.
    located e;
    if (kind == tag_kind::S) {
      std::string_view text;
      if (auto ec = string_of(inner, text))
        e = from_simdjson(ec, "a JSON string");
      else
        make(std::in_place_type<std::string>, text);
    } else if (kind == tag_kind::N) {
      e = read_number(inner, make(std::in_place_type<number>));
    } else if (kind == tag_kind::B) {
      e = read_binary(inner, make(std::in_place_type<bytes>));
    } else if (kind == tag_kind::BOOL) {
      bool b = false;
      if (auto ec = inner.get_bool().get(b))
        e = from_simdjson(ec, "true or false");
      else
        make(std::in_place_type<bool>, b);
    } else if (kind == tag_kind::NULL_) {
      bool b = false;
      if (auto ec = inner.get_bool().get(b))
        e = from_simdjson(ec, "true");
      else if (!b)
        e = located::make(errc::invalid_attribute, "NULL must be true");
      else
        make(std::in_place_type<null_t>);
    } else if (kind == tag_kind::M) {
      simdjson::ondemand::object m;
      if (auto ec = inner.get_object().get(m))
        e = from_simdjson(ec, "a JSON object of attributes");
      else
        e = read_item(m, depth + 1, make(std::in_place_type<item>));
    } else if (kind == tag_kind::L) {
      list& l = make(std::in_place_type<list>);
      l.reserve(small_array);
      e = read_array(inner, false, "L", [&](simdjson::ondemand::value& ev, std::size_t) {
        return read_value_with(ev, depth + 1, element_of{l});
      });
    } else if (kind == tag_kind::SS) {
      string_set& set = make(std::in_place_type<string_set>);
      set.reserve(small_array);
      e = read_array(inner, true, "SS", [&](simdjson::ondemand::value& ev, std::size_t) {
        return read_string(ev, set.emplace_back());
      });
      if (!e) e = check_set(set);
    } else if (kind == tag_kind::NS) {
      number_set& set = make(std::in_place_type<number_set>);
      set.reserve(small_array);
      e = read_array(inner, true, "NS", [&](simdjson::ondemand::value& ev, std::size_t) {
        return read_number(ev, set.emplace_back());
      });
      if (!e) e = check_set(set);
    } else if (kind == tag_kind::BS) {
      binary_set& set = make(std::in_place_type<binary_set>);
      set.reserve(small_array);
      e = read_array(inner, true, "BS", [&](simdjson::ondemand::value& ev, std::size_t) {
        return read_binary(ev, set.emplace_back());
      });
      if (!e) e = check_set(set);
    } else {
      return located::make(errc::invalid_attribute, "unknown attribute type '" + std::string(tag) +
                                                        "'; expected one of S, N, B, BOOL, NULL, M, L, SS, NS, BS");
    }
    if (e) return std::move(e).under_key(tag);
  }
  if (!seen) return located::make(errc::invalid_attribute, "attribute value has no type; expected e.g. {\"S\":\"text\"}");
  return {};
}

located read_value(simdjson::ondemand::value v, int depth, value& out) {
  return read_value_with(v, depth, [&out]<class T>(std::in_place_type_t<T>, auto&&... args) -> T& {
    return out.template emplace<T>(std::forward<decltype(args)>(args)...);
  });
}

located read_item(simdjson::ondemand::object o, int depth, item& out) {
  // Items (depth 1) reserve as many members as the previous item had; maps
  // a few (counting the fields first costs a walk and measured no better).
  std::size_t* hint = depth == 1 ? &thread_reader().item_members_hint : nullptr;
  out.reserve(hint ? *hint : 8);
  for (auto field : o) {
    if (auto ec = field.error()) return from_simdjson(ec, "an attribute name");
    std::string_view key;
    if (auto ec = key_of(field.value_unsafe(), key)) return from_simdjson(ec, "an attribute name");
    if (auto e = read_value_with(field.value_unsafe().value(), depth, member_of{out, key}))
      return std::move(e).under_key(key);
  }
  if (hint) *hint = std::clamp<std::size_t>(out.size(), 4, 256);
  return check_unique_names(out);
}

}  // namespace detail

result<value> parse_value(std::string_view json) {
  value out;
  located e = detail::parse_document(json, [&](simdjson::ondemand::document& doc) {
    simdjson::ondemand::value v;
    if (auto ec = doc.get_value().get(v)) return detail::from_simdjson(ec, "an attribute value");
    return detail::read_value(v, 1, out);
  });
  if (e) return e.to_failure("");
  return out;
}

result<item> parse_item(std::string_view json) {
  item out;
  located e = detail::parse_document(json, [&](simdjson::ondemand::document& doc) {
    simdjson::ondemand::object o;
    if (auto ec = doc.get_object().get(o)) return detail::from_simdjson(ec, "a JSON object of attributes");
    return detail::read_item(o, 1, out);
  });
  if (e) return e.to_failure("");
  return out;
}

result<service_error> parse_error(std::string_view body) {
  service_error out;
  located e = detail::parse_document(body, [&](simdjson::ondemand::document& doc) -> located {
    simdjson::ondemand::object o;
    if (auto ec = doc.get_object().get(o)) return detail::from_simdjson(ec, "a JSON error object");
    for (auto field : o) {
      std::string_view key;
      if (auto ec = field.unescaped_key().get(key)) return detail::from_simdjson(ec, "a field name");
      simdjson::ondemand::value v;
      if (auto ec = field.value().get(v)) return detail::from_simdjson(ec, "a value");
      if (key == "__type") {
        if (auto err = detail::read_string(v, out.type)) return std::move(err).under_key("__type");
        if (const auto hash = out.type.rfind('#'); hash != std::string::npos) out.type.erase(0, hash + 1);
      } else if (key == "message" || key == "Message") {
        if (auto err = detail::read_string(v, out.message)) return std::move(err).under_key(key);
      } else if (key == "Item") {
        simdjson::ondemand::object io;
        if (auto ec = v.get_object().get(io)) return detail::from_simdjson(ec, "an item").under_key("Item");
        if (auto err = detail::read_item(io, 1, out.item.emplace())) return std::move(err).under_key("Item");
      } else if (key == "CancellationReasons") {
        auto each = [&](simdjson::ondemand::value& ev, std::size_t) -> located {
          cancellation_reason& reason = out.cancellation_reasons.emplace_back();
          simdjson::ondemand::object ro;
          if (auto ec = ev.get_object().get(ro)) return detail::from_simdjson(ec, "a cancellation reason object");
          for (auto rf : ro) {
            std::string_view rk;
            if (auto ec = rf.unescaped_key().get(rk)) return detail::from_simdjson(ec, "a field name");
            simdjson::ondemand::value rv;
            if (auto ec = rf.value().get(rv)) return detail::from_simdjson(ec, "a value");
            located err;
            if (rk == "Code") {
              err = detail::read_string(rv, reason.code);
            } else if (rk == "Message" || rk == "message") {
              err = detail::read_string(rv, reason.message);
            } else if (rk == "Item") {
              simdjson::ondemand::object io;
              if (auto ec = rv.get_object().get(io))
                err = detail::from_simdjson(ec, "an item");
              else
                err = detail::read_item(io, 1, reason.item.emplace());
            }
            if (err) return std::move(err).under_key(rk);
          }
          return {};
        };
        if (auto err = detail::read_array(v, false, "CancellationReasons", each))
          return std::move(err).under_key("CancellationReasons");
      }
    }
    if (out.type.empty()) return located::make(errc::unexpected_json, "error body has no __type");
    return {};
  });
  if (e) return e.to_failure("");
  return out;
}

}  // namespace ddb::json
