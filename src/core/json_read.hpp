#pragma once
// Reading DynamoDB JSON with simdjson's on-demand API (internal: simdjson
// types never reach a public header). Response decoders of the client build
// on these.
#include <simdjson.h>

#include <cstring>
#include <string>
#include <string_view>

#include "core/json_path.hpp"
#include "ddb/core/value.hpp"

namespace ddb::json::detail {

// A reusable parser plus a padded copy of the input (simdjson reads up to
// SIMDJSON_PADDING bytes past the end). One per thread.
struct reader_state {
  simdjson::ondemand::parser parser;
  std::string buffer;
  simdjson::padded_string_view pad(std::string_view json);
  // In place when the string has the padding as spare capacity.
  simdjson::padded_string_view pad(const std::string& json);
  // Members of the last item read: the items of a page are usually alike,
  // so the next one reserves that many (no regrowth, no member moves).
  std::size_t item_members_hint = 8;
};
reader_state& thread_reader();

// Maps a simdjson error to ours, naming the problem.
located from_simdjson(simdjson::error_code ec, std::string_view expected);

// A JSON string's text straight from the document when it holds no escape
// (nearly every string DynamoDB sends): one copy into the value instead of
// simdjson's unescaping copy and then ours. False when v is not such a string;
// the caller then takes simdjson's general path, which also reports errors.
// Stage 1 has already validated UTF-8 and refused raw control characters.
// A value's raw token (up to the next structural character) without the
// JSON whitespace that follows it.
inline std::string_view raw_token(simdjson::ondemand::value& v) noexcept {
  std::string_view t = v.raw_json_token();
  while (!t.empty() && (t.back() == ' ' || t.back() == '\n' || t.back() == '\r' || t.back() == '\t')) t.remove_suffix(1);
  return t;
}

inline bool plain_string(simdjson::ondemand::value& v, std::string_view& out) noexcept {
  std::string_view t = raw_token(v);
  if (t.size() < 2 || t.front() != '"' || t.back() != '"') return false;
  t = t.substr(1, t.size() - 2);
  if (t.size() <= 32) {  // most strings: a short loop beats memchr's call
    for (char c : t)
      if (c == '\\') return false;
  } else if (std::memchr(t.data(), '\\', t.size()) != nullptr) {
    return false;
  }
  out = t;
  return true;
}

// A string value's text: plain_string's fast path, else simdjson's unescaping.
inline simdjson::error_code string_of(simdjson::ondemand::value& v, std::string_view& out) noexcept {
  if (plain_string(v, out)) return simdjson::SUCCESS;
  return v.get_string().get(out);
}

// An object field's name without simdjson's unescaping copy when it has no
// escape; the closing quote is known to exist (stage 1 found the string).
inline simdjson::error_code key_of(simdjson::ondemand::field& f, std::string_view& out) noexcept {
  const char* raw = f.key().raw();
  std::size_t n = 0;
  while (raw[n] != '"' && raw[n] != '\\') ++n;
  if (raw[n] == '"') {
    out = std::string_view(raw, n);
    return simdjson::SUCCESS;
  }
  return f.unescaped_key().get(out);
}

located read_value(simdjson::ondemand::value v, int depth, value& out);
// An object of name -> AttributeValue (an item, or the members of an M).
located read_item(simdjson::ondemand::object o, int depth, item& out);
located read_string(simdjson::ondemand::value& v, std::string& out);
// Parses a whole document with body(doc), then insists nothing follows it.
template <class Body>
located parse_document(std::string_view json, Body body) {
  auto& r = thread_reader();
  simdjson::ondemand::document doc;
  if (auto ec = r.parser.iterate(r.pad(json)).get(doc)) return from_simdjson(ec, "a JSON document");
  if (auto e = body(doc)) return e;
  // current_location() fails with OUT_OF_BOUNDS exactly when nothing is left.
  const char* rest = nullptr;
  if (doc.current_location().get(rest) == simdjson::SUCCESS)
    return located::make(errc::invalid_json, "unexpected text after the JSON document");
  return {};
}

// An error naming the first attribute name that appears twice.
located check_unique_names(const item& it);

}  // namespace ddb::json::detail
