// The typed operations: which requests are safe to repeat, idempotency
// tokens, and the compiled body that decodes a typed response.
#include <boost/asio/post.hpp>
#include <sodium.h>

#include "ddb/client.hpp"
#include "request/capacity_tracker.hpp"
#include "client/operation.hpp"
#include "model/codec.hpp"

namespace ddb::detail {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

// Reads, and writes whose repetition cannot change the outcome, are retried
// after an ambiguous failure. A conditional put/delete is not: repeated after
// it was applied, its condition would fail and report a false
// ConditionalCheckFailed. UpdateItem may add or append: never repeated after
// an ambiguous failure. TransactWriteItems and ExecuteTransaction always carry
// a ClientRequestToken (generated when absent), which DynamoDB uses to apply
// them at most once. PartiQL statements are repeated only when they read.
namespace {
constexpr auto safe = request_safety::idempotent;
constexpr auto unsafe = request_safety::not_idempotent;

bool reads_only(const std::string& statement) {
  std::size_t i = statement.find_first_not_of(" \t\r\n(");
  if (i == std::string::npos) return false;
  static constexpr std::string_view select = "select";
  if (statement.size() - i < select.size()) return false;
  for (std::size_t k = 0; k < select.size(); ++k)
    if ((statement[i + k] | 0x20) != select[k]) return false;
  return true;
}
}  // namespace

request_safety safety_of(const get_item_request&) { return safe; }
request_safety safety_of(const query_request&) { return safe; }
request_safety safety_of(const scan_request&) { return safe; }
request_safety safety_of(const batch_get_item_request&) { return safe; }
request_safety safety_of(const transact_get_items_request&) { return safe; }
request_safety safety_of(const search_vectors_request&) { return safe; }
request_safety safety_of(const describe_table_request&) { return safe; }
request_safety safety_of(const list_tables_request&) { return safe; }
request_safety safety_of(const describe_time_to_live_request&) { return safe; }
request_safety safety_of(const describe_continuous_backups_request&) { return safe; }
request_safety safety_of(const list_tags_of_resource_request&) { return safe; }
request_safety safety_of(const describe_limits_request&) { return safe; }
request_safety safety_of(const transact_write_items_request&) { return safe; }
request_safety safety_of(const execute_transaction_request&) { return safe; }
request_safety safety_of(const put_item_request& r) {
  return r.condition_expression || !r.expected.empty() ? unsafe : safe;
}
request_safety safety_of(const delete_item_request& r) {
  return r.condition_expression || !r.expected.empty() ? unsafe : safe;
}
// BatchWriteItem puts and deletes are unconditional: repeating one writes
// the same item again.
request_safety safety_of(const batch_write_item_request&) { return safe; }
request_safety safety_of(const execute_statement_request& r) { return reads_only(r.statement) ? safe : unsafe; }
request_safety safety_of(const batch_execute_statement_request& r) {
  for (const auto& s : r.statements)
    if (!reads_only(s.statement)) return unsafe;
  return safe;
}
request_safety safety_of(const update_item_request&) { return unsafe; }
request_safety safety_of(const create_table_request&) { return unsafe; }
request_safety safety_of(const update_table_request&) { return unsafe; }
request_safety safety_of(const delete_table_request&) { return unsafe; }
// Setting TTL twice is refused by DynamoDB ("already enabled"): not repeated.
request_safety safety_of(const update_time_to_live_request&) { return unsafe; }
// Setting the same backup state or tags again changes nothing.
request_safety safety_of(const update_continuous_backups_request&) { return safe; }
request_safety safety_of(const tag_resource_request&) { return safe; }
request_safety safety_of(const untag_resource_request&) { return safe; }

std::string new_idempotency_token() {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += hex[b[i] >> 4];
    s += hex[b[i] & 15];
  }
  return s;
}

namespace {
void record_capacity(capacity_tracker& t, std::string_view op, const std::optional<consumed_capacity>& c) {
  if (c) t.record(op, *c);
}
void record_capacity(capacity_tracker& t, std::string_view op, const std::vector<consumed_capacity>& cs) {
  for (const auto& c : cs) t.record(op, c);
}
void record_capacity(capacity_tracker&, std::string_view, const std::optional<vector_capacity>&) {}  // bytes, not units
}  // namespace

// A typed operation: the response is decoded into the Response the caller's
// handler receives, and the diagnostics moved into it once.
template <class Response>
struct typed_op final : op_state {
  typed_op(std::shared_ptr<client_impl> c, const char* op, std::string b, request_safety s, bool on_client_ex,
           capacity_tracker* t, handler_t<Response> h)
      : op_state(std::move(c), op, std::move(b), s, on_client_ex), tracker(t), handler(std::move(h)) {
    slot = asio::get_associated_cancellation_slot(handler);
  }

  void finish(error_code ec) override {
    Response r;
    if (!ec) {
      if (auto f = decode_into(answer->response.body, r)) {
        r = Response{};
        ec = f->code;
        diag.message = std::move(f->message);
      } else if constexpr (requires { r.consumed_capacity; }) {
        if (tracker) record_capacity(*tracker, target, r.consumed_capacity);
      }
    }
    release_answer();  // before the handler, which may start the next request
    r.diag = std::move(diag);
    invoke_handler(std::move(handler), executor_of(*client), handler_on_client_executor, ec, std::move(r));
  }

  capacity_tracker* tracker;  // null unless the client tracks capacity
  handler_t<Response> handler;
};

template <class Response>
void start_typed(const std::shared_ptr<client_impl>& impl, const char* operation, result<std::string> body,
                 request_safety safety, capacity_hint capacity, bool on_client_executor, handler_t<Response> handler) {
  const asio::any_io_executor& client_ex = executor_of(*impl);
  if (!body) {
    // Nothing to send: complete with the encoding error, never inside the initiating call.
    Response r;
    r.diag.message = body.error().message;
    const error_code ec = body.error().code;
    // Posted: the initiating call must not complete; then on the handler's own executor.
    asio::post(client_ex, [client_ex, on_client_executor, h = std::move(handler), ec, r = std::move(r)]() mutable {
      invoke_handler(std::move(h), client_ex, on_client_executor, ec, std::move(r));
    });
    return;
  }
  capacity_tracker* tracker = capacity_tracker_of(*impl);
  if (tracker && capacity == capacity_hint::unset) *body = with_consumed_capacity(std::move(*body));
  start_operation(impl, std::make_shared<typed_op<Response>>(impl, operation, std::move(*body), safety,
                                                             on_client_executor, tracker, std::move(handler)));
}

#define DDB_RESPONSE(R)                                                                                  \
  template void start_typed<R>(const std::shared_ptr<client_impl>&, const char*, result<std::string>, \
                               request_safety, capacity_hint, bool, handler_t<R>);
#include "model/generated/responses.inc"
#undef DDB_RESPONSE

}  // namespace ddb::detail
