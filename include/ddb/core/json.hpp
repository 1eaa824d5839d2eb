#pragma once
// The DynamoDB JSON codec (pure code).
//
// Writing: json_writer appends to a caller-owned std::string, so one buffer
// serves request after request. Strings are written as UTF-8, with quotes,
// backslashes and control characters escaped; invalid UTF-8 is an error, not
// mojibake on the server. No locale is involved anywhere.
//
// Reading: simdjson's on-demand parser (hidden behind this header) reads
// responses into the value model. Every problem is a failure whose message
// names the attribute path, e.g. "Item.tags.SS[2]: ...".

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/core/value.hpp"
#include "ddb/error.hpp"

namespace ddb::json {

/// Appends JSON to a caller-owned std::string, putting the commas between
/// elements. It checks neither nesting nor UTF-8: the callers do.
class writer {
 public:
  /// Appends to `out` (not cleared first), which must outlive the writer.
  explicit writer(std::string& out) noexcept : out_(out) {}

  /// Writes `{`, after a comma when one is due.
  void begin_object() { separate(); out_ += '{'; comma_ = false; }
  /// Writes `}`.
  void end_object() { out_ += '}'; comma_ = true; }
  /// Writes `[`, after a comma when one is due.
  void begin_array() { separate(); out_ += '['; comma_ = false; }
  /// Writes `]`.
  void end_array() { out_ += ']'; comma_ = true; }
  /// Keys and strings must be valid UTF-8 (checked by the callers that take
  /// user text: write_value / write_item; see also valid_utf8()).
  void key(std::string_view k) { separate(); append_string(k); out_ += ':'; comma_ = false; }
  /// A literal key (the service model's member names: ASCII, nothing to
  /// escape) is copied as it is, without the escape scan.
  template <std::size_t N>
  void key(const char (&literal)[N]) {
    separate();
    out_ += '"';
    out_.append(literal, N - 1);
    out_.append("\":", 2);
    comma_ = false;
  }
  /// "{" and a literal key given already quoted, e.g. R"({"S":)".
  void open_with_key(std::string_view quoted) { separate(); out_ += quoted; comma_ = false; }
  /// A quoted string value, with quotes, backslashes and control characters
  /// escaped (UTF-8 is not checked here).
  void string(std::string_view s) { separate(); append_string(s); comma_ = true; }
  /// `json` copied as one value, unchecked: a literal or a number.
  void raw(std::string_view json) { separate(); out_ += json; comma_ = true; }  // a literal or number
  /// `true` or `false`.
  void boolean(bool b) { raw(b ? "true" : "false"); }
  /// An integer in decimal.
  void integer(long long v);

  /// The string written to.
  std::string& buffer() noexcept { return out_; }

 private:
  void separate() {
    if (comma_) out_ += ',';
  }
  void append_string(std::string_view s);
  std::string& out_;
  bool comma_ = false;
};

/// True when `s` is well-formed UTF-8 (short ASCII checked inline, the rest with simdjson's validator).
bool valid_utf8(std::string_view s) noexcept;

/// {"S":"..."} and so on. Fails on invalid UTF-8, empty or duplicate sets and
/// nesting deeper than max_nesting_depth; nothing is half-written on failure
/// (the writer's buffer is restored to its length at the call).
result<void> write_value(writer& w, const value& v);
/// {"name":{"S":"..."},...}, with the failures of write_value() (and
/// invalid UTF-8 in a name); nothing is half-written on failure.
result<void> write_item(writer& w, const item& it);
std::string to_json(const item& it);    ///< throws ddb::error
std::string to_json(const value& v);    ///< throws ddb::error

/// Reads one DynamoDB JSON value, e.g. {"S":"x"}. Malformed JSON or values
/// are a failure (errc::invalid_json, invalid_attribute, invalid_number, ...)
/// whose message names the path.
result<value> parse_value(std::string_view json);
/// Reads a DynamoDB JSON item, e.g. {"a":{"S":"x"}}; fails as parse_value()
/// does, and on a name given twice.
result<item> parse_item(std::string_view json);

/// Plain JSON, as applications and HTTP clients speak it (the AWS SDKs'
/// "unmarshalled" form): {"pk":"a","n":12,"tags":["x"],"m":{"ok":true},"z":null}.
/// Writing: S -> string, N -> number (its exact text), BOOL, NULL -> null,
/// M -> object, L -> array, SS / NS -> arrays of strings / numbers, B -> a
/// base64 string, BS -> an array of them. Reading: string -> S, number -> N
/// (the token's text: 38 digits survive, nothing passes through a double),
/// true/false -> BOOL, null -> NULL, object -> M, array -> L; a name twice,
/// a number DynamoDB cannot hold or nesting over 32 levels is an error.
/// Sets and binaries do not round-trip (they come back as L and S): use the
/// DynamoDB JSON above where the types matter.
result<void> write_plain_value(writer& w, const value& v);
/// An item as a plain JSON object (see write_plain_value()); same failures,
/// and nothing half-written on failure.
result<void> write_plain_item(writer& w, const item& it);
std::string to_plain_json(const item& it);   ///< throws ddb::error (invalid UTF-8, nesting)
std::string to_plain_json(const value& v);   ///< throws ddb::error
result<value> parse_plain_value(std::string_view json);  ///< "x", 12, [1,"a"], {"a":1}
result<item> parse_plain_item(std::string_view json);    ///< {"a":1}

/// One entry of a TransactionCanceledException's CancellationReasons, in the
/// order of the transaction's actions.
struct cancellation_reason {
  std::string code;                 ///< "None", "ConditionalCheckFailed", "TransactionConflict", ...
  std::string message;              ///< "Message" (or "message"); empty when absent
  std::optional<ddb::item> item;    ///< with ReturnValuesOnConditionCheckFailure=ALL_OLD
};
/// A DynamoDB error body:
/// `{"__type":"com.amazonaws.dynamodb.v20120810#X","message":"..."}`.
struct service_error {
  std::string type;     ///< the part of __type after the last '#'
  std::string message;  ///< "message" or "Message"
  /// TransactionCanceledException: one reason per action; empty for other errors.
  std::vector<cancellation_reason> cancellation_reasons;
  std::optional<ddb::item> item;  ///< ConditionalCheckFailedException with ReturnValuesOnConditionCheckFailure
};
/// Reads an error body. Fails (errc::invalid_json, unexpected_json, ...) on
/// malformed JSON, fields of the wrong type, or a body with no `__type`.
result<service_error> parse_error(std::string_view body);

}  // namespace ddb::json
