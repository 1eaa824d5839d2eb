#pragma once
// Support for the generated codec (src/model/generated/): how scalars are
// written and read, and the entry points that turn errors into results.
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "core/base64.hpp"
#include "core/json_read.hpp"
#include "ddb/core/json.hpp"
#include "ddb/model.hpp"

namespace ddb::detail {

using namespace ddb::json;
using namespace ddb::json::detail;

// Encoding errors (invalid UTF-8, an empty set...) are rare: they travel as
// ddb::error and encode_with() turns them back into a result.
inline void check(result<void> r) {
  if (!r) throw ddb::error(std::move(r).error());
}
inline const std::string& checked_text(const std::string& s) {
  if (!json::valid_utf8(s)) throw ddb::error(fail(errc::invalid_utf8, "a request string is not valid UTF-8"));
  return s;
}
// An enumeration's value: the model's spelling, or the caller's own string
// (open_enum::from_string), which must be valid UTF-8 like any other.
template <class E>
std::string_view checked_enum(const open_enum<E>& e) {
  if (!e.known() && !json::valid_utf8(e.str()))
    throw ddb::error(fail(errc::invalid_utf8, "a request's enumeration value is not valid UTF-8"));
  return e.str();
}
inline void write_double(json::writer& w, double d) {
  char buf[32];
  w.raw(std::string_view(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, d).ptr - buf)));
}
inline void write_blob(json::writer& w, const bytes& b) {
  w.raw("\"");
  base64::append_encoded(w.buffer(), b.data(), b.size());
  w.buffer() += '"';
}
inline located read_blob(simdjson::ondemand::value& v, bytes& out) {
  std::string_view s;
  if (auto ec = string_of(v, s)) return from_simdjson(ec, "base64 bytes");
  if (!base64::decode(s, out)) return located::make(errc::invalid_base64, "not valid base64");
  return {};
}
// A value the model does not list is kept as sent (a newer service).
template <class E>
located read_enum(simdjson::ondemand::value& v, open_enum<E>& out) {
  std::string_view s;
  if (auto ec = string_of(v, s)) return from_simdjson(ec, "a string");
  out = open_enum<E>::from_string(s);
  return {};
}

// Checks made before sending (src/model/checks.cpp); requests without an
// overload of their own pass.
template <class Request>
result<void> check(const Request&) {
  return {};
}
result<void> check(const get_item_request& r);
result<void> check(const put_item_request& r);
result<void> check(const update_item_request& r);
result<void> check(const delete_item_request& r);
result<void> check(const query_request& r);
result<void> check(const scan_request& r);
result<void> check(const describe_table_request& r);
result<void> check(const delete_table_request& r);
result<void> check(const create_table_request& r);
result<void> check(const batch_write_item_request& r);
result<void> check(const batch_get_item_request& r);
result<void> check(const transact_write_items_request& r);
result<void> check(const transact_get_items_request& r);

// A fresh idempotency token (a random UUID, version 4).
std::string new_idempotency_token();

template <class F>
result<std::string> encode_with(F&& write) {
  std::string out;
  out.reserve(256);
  json::writer w(out);
  try {
    write(w);
  } catch (const ddb::error& e) {
    return e.details();
  }
  return out;
}

// Requests and responses from JSON (responses from DynamoDB, requests for
// tools such as the CLI), and responses back to JSON.
// A body with SIMDJSON_PADDING bytes of spare capacity is parsed where it is
// (the client's response bodies are); others are copied once.
template <class Message>
result<Message> decode(const std::string& body);
#define DDB_OPERATION(name, cli, fn) result<std::string> encode_response(const fn##_response& r);
#include "model/generated/operations.inc"
#undef DDB_OPERATION

// Reads a whole message into `out`; the failure, if any, names what was wrong.
template <class Message, class Read>
std::optional<failure> decode_into_with(const std::string& body, Message& out, Read&& read) {
  constexpr bool is_request = std::string_view(Message::kind) == "request";
  auto& r = thread_reader();
  simdjson::ondemand::document doc;
  located e;
  if (auto ec = r.parser.iterate(r.pad(body)).get(doc)) {
    e = from_simdjson(ec, "a JSON document");
  } else {
    simdjson::ondemand::value v;
    if (auto ec2 = doc.get_value().get(v))
      e = from_simdjson(ec2, "a JSON object");
    else
      e = read(v, out);
  }
  if (!e) return std::nullopt;
  failure f = e.to_failure(is_request ? "request" : "response");
  f.message = (is_request ? "the request could not be read: " : "DynamoDB's response could not be read: ") + f.message;
  return f;
}

template <class Message, class Read>
result<Message> decode_with(const std::string& body, Read&& read) {
  Message out;
  if (auto f = decode_into_with(body, out, std::forward<Read>(read))) return std::move(*f);
  return out;
}

// A response decoded straight into the value the caller's handler receives
// (the client's path: no result<> to move it out of).
#define DDB_OPERATION(name, cli, fn) std::optional<failure> decode_into(const std::string& body, fn##_response& out);
#include "model/generated/operations.inc"
#undef DDB_OPERATION

}  // namespace ddb::detail
