// Batches: validate everything, chunk, then a fixed number of workers take
// chunks in turn; each chunk is sent until nothing is left unprocessed or
// its attempts are spent.
#include "ddb/batch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <random>
#include <set>

#include "ddb/limits.hpp"
#include "ddb/model.hpp"
#include "ddb/retry.hpp"
#include "helpers/run_all.hpp"

namespace ddb {
namespace asio = boost::asio;

namespace {

[[noreturn]] void refuse(errc code, const std::string& message) { throw ddb::error(fail(code, message)); }

asio::awaitable<std::vector<std::string>> key_schema(client& c, const std::string& table, const batch_options& opt) {
  if (auto it = opt.key_attributes.find(table); it != opt.key_attributes.end()) co_return it->second;
  const describe_table_request d{.table_name = table};
  describe_table_response r = co_await c.describe_table(d);
  std::vector<std::string> names;
  if (r.table)
    for (const auto& k : r.table->key_schema) names.push_back(k.attribute_name);
  co_return names;
}

// Full-jitter exponential backoff before attempt `attempt` (2, 3, ...).
asio::awaitable<void> back_off(const batch_options& opt, int attempt, std::minstd_rand& rng) {
  const auto delay = ddb::full_jitter(opt.base_delay, opt.max_delay, attempt - 1,
                                 std::uniform_real_distribution<double>(0.0, 1.0)(rng));
  asio::steady_timer t(co_await asio::this_coro::executor, delay);
  boost::system::error_code ignored;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

std::minstd_rand seeded() {
  std::random_device rd;
  return std::minstd_rand(rd());
}

void check_options(const batch_options& opt) {
  if (opt.concurrency < 1 || opt.max_attempts < 1)
    refuse(errc::invalid_config, "batch_options: concurrency and max_attempts must be at least 1");
}

// The size one request adds to a batch (a bound on its JSON, for the 16 MB limit).
std::size_t request_bytes(const item& it) { return limits::item_size(it) * 2 + 64 * (it.size() + 1); }

// Sends one chunk until nothing is left unprocessed or its attempts are
// spent. `send` makes the call, `take` consumes a response and returns what
// is left (moved out of it), `fail` reports what is left with an error.
template <class Request, class Send, class Take, class Fail>
asio::awaitable<void> send_chunk(Request req, const batch_options& opt, std::minstd_rand& rng, std::size_t& calls,
                                 const char* operation, Send send, Take take, Fail fail) {
  for (int attempt = 1;; ++attempt) {
    if (attempt > 1) co_await back_off(opt, attempt, rng);
    auto [ec, resp] = co_await send(req);
    ++calls;
    if (ec) co_return fail(req.request_items, ec, resp.diag.summary(ec));
    auto left = take(resp);
    if (left.empty()) co_return;
    req.request_items = std::move(left);
    if (attempt == opt.max_attempts)
      co_return fail(req.request_items, make_error_code(errc::unprocessed),
                     "still unprocessed after " + std::to_string(attempt) + " " + operation +
                         " calls (throttled or busy partitions); send it again later, or raise "
                         "batch_options::max_attempts");
  }
}

}  // namespace

asio::awaitable<batch_write_outcome> batch_write(client& c, std::map<std::string, std::vector<write_request>> writes,
                                                 batch_options opt) {
  check_options(opt);
  // Validate everything first: nothing is sent unless all of it can be.
  struct entry {
    const std::string* table;
    write_request* request;
    std::size_t bytes;
  };
  std::vector<entry> entries;
  std::set<std::pair<std::string, std::string>> keys;
  for (auto& [table, requests] : writes) {
    if (auto r = limits::check_table_name(table); !r) throw ddb::error(std::move(r).error());
    if (requests.empty()) continue;
    const std::vector<std::string> key_names = co_await key_schema(c, table, opt);
    for (std::size_t i = 0; i < requests.size(); ++i) {
      write_request& w = requests[i];
      const std::string where = "batch_write: request " + std::to_string(i) + " of table " + table;
      if (w.put_request.has_value() == w.delete_request.has_value())
        refuse(errc::invalid_config, where + " has " + (w.put_request ? "both" : "neither") +
                                         " a PutRequest and a DeleteRequest; give exactly one");
      const item& it = w.put_request ? w.put_request->item : w.delete_request->key;
      if (w.put_request) {
        if (auto r = limits::check_item(it, where + "'s item"); !r) throw ddb::error(std::move(r).error());
      }
      const std::string key = limits::key_text(it, w.put_request ? key_names : std::vector<std::string>{});
      if (!keys.emplace(table, key).second)
        refuse(errc::duplicate_key, where + " repeats the key " + key +
                                        ": DynamoDB refuses a batch with the same key twice, and across batches "
                                        "their order would be undefined; keep one write per key");
      entries.push_back({&table, &w, request_bytes(it)});
    }
  }
  // Chunks of at most 25 requests and 16 MB.
  std::vector<batch_write_item_request> chunks;
  std::size_t in_chunk = 0, chunk_bytes = 0;
  for (auto& e : entries) {
    if (chunks.empty() || in_chunk == limits::max_batch_write_requests ||
        chunk_bytes + e.bytes > limits::max_batch_request_bytes) {
      chunks.emplace_back();
      in_chunk = chunk_bytes = 0;
    }
    chunks.back().request_items[*e.table].push_back(std::move(*e.request));
    ++in_chunk;
    chunk_bytes += e.bytes;
  }

  batch_write_outcome out;
  std::size_t next = 0;
  auto rng = seeded();
  auto fail_all = [&](std::map<std::string, std::vector<write_request>>& left, std::error_code ec,
                      const std::string& message) {
    for (auto& [table, requests] : left)
      for (auto& w : requests) out.failed.push_back({table, std::move(w), ec, message});
  };
  co_await detail::run_all(std::min(opt.concurrency, chunks.size()), [&](std::size_t) -> asio::awaitable<void> {
    while (next < chunks.size()) {
      co_await send_chunk(
          std::move(chunks[next++]), opt, rng, out.calls, "BatchWriteItem",
          [&](const batch_write_item_request& r) { return c.batch_write_item(r, asio::as_tuple(asio::use_awaitable)); },
          [](batch_write_item_response& resp) { return std::move(resp.unprocessed_items); }, fail_all);
    }
  });
  out.written = entries.size() - out.failed.size();
  co_return out;
}

asio::awaitable<batch_get_outcome> batch_get(client& c, std::map<std::string, keys_and_attributes> reads,
                                             batch_options opt) {
  check_options(opt);
  struct entry {
    const std::string* table;
    item* key;
  };
  std::vector<entry> entries;
  std::set<std::pair<std::string, std::string>> keys;
  for (auto& [table, kaa] : reads) {
    if (auto r = limits::check_table_name(table); !r) throw ddb::error(std::move(r).error());
    for (std::size_t i = 0; i < kaa.keys.size(); ++i) {
      const std::string key = limits::key_text(kaa.keys[i]);
      if (!keys.emplace(table, key).second)
        refuse(errc::duplicate_key, "batch_get: key " + std::to_string(i) + " of table " + table + " repeats " + key +
                                        ": DynamoDB refuses a batch with the same key twice; ask for it once");
      entries.push_back({&table, &kaa.keys[i]});
    }
  }
  // Chunks of at most 100 keys; each table keeps its projection and consistency.
  std::vector<batch_get_item_request> chunks;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i % limits::max_batch_get_keys == 0) chunks.emplace_back();
    auto& slot = chunks.back().request_items[*entries[i].table];
    if (slot.keys.empty()) {
      const keys_and_attributes& src = reads.at(*entries[i].table);
      slot.attributes_to_get = src.attributes_to_get;
      slot.consistent_read = src.consistent_read;
      slot.projection_expression = src.projection_expression;
      slot.expression_attribute_names = src.expression_attribute_names;
    }
    slot.keys.push_back(std::move(*entries[i].key));
  }

  batch_get_outcome out;
  std::size_t next = 0;
  auto rng = seeded();
  auto fail_all = [&](std::map<std::string, keys_and_attributes>& left, std::error_code ec, const std::string& message) {
    for (auto& [table, kaa] : left)
      for (auto& k : kaa.keys) out.failed.push_back({table, std::move(k), ec, message});
  };
  co_await detail::run_all(std::min(opt.concurrency, chunks.size()), [&](std::size_t) -> asio::awaitable<void> {
    while (next < chunks.size()) {
      co_await send_chunk(
          std::move(chunks[next++]), opt, rng, out.calls, "BatchGetItem",
          [&](const batch_get_item_request& r) { return c.batch_get_item(r, asio::as_tuple(asio::use_awaitable)); },
          [&](batch_get_item_response& resp) {
            for (auto& [table, items] : resp.responses)
              for (auto& it : items) out.items[table].push_back(std::move(it));
            return std::move(resp.unprocessed_keys);
          },
          fail_all);
    }
  });
  co_return out;
}

}  // namespace ddb
