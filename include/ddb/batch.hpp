#pragma once
// Batches of any size: batch_write and batch_get split the work into
// requests DynamoDB accepts (at most 25 puts/deletes or 100 keys, and 16 MB),
// run up to `concurrency` of them at once, and send UnprocessedItems /
// UnprocessedKeys again with exponential backoff (full jitter) until they
// are done or a chunk has made max_attempts calls. The outcome says exactly
// which writes or keys did not go through, and why.
//
// Checked before anything is sent (ddb::error, nothing written): table
// names, one action per write request, items over 400 KB, and the same key
// twice (DynamoDB refuses a batch holding a key twice; across chunks the
// order of two writes to one key would be undefined). Keys of put requests
// are found with each table's key schema: give it in key_attributes, or the
// helper asks DescribeTable once per table.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <map>
#include <string>
#include <system_error>
#include <vector>

#include "ddb/client.hpp"
#include "ddb/detail/run_op.hpp"

namespace ddb {

struct batch_options {
  std::size_t concurrency = 4;  ///< requests in flight
  int max_attempts = 8;         ///< calls per chunk (the first one and the retries of what is unprocessed)
  std::chrono::milliseconds base_delay{50};
  std::chrono::milliseconds max_delay{5000};
  /// Key attribute names per table (hash key first); tables not listed are described.
  std::map<std::string, std::vector<std::string>> key_attributes;
};

struct batch_write_failure {
  std::string table;
  write_request request;
  std::error_code code;  ///< errc::unprocessed, or the error of the call that carried it
  std::string message;
};

struct batch_write_outcome {
  std::size_t written = 0;
  std::size_t calls = 0;  ///< BatchWriteItem calls made
  std::vector<batch_write_failure> failed;
  diagnostics diag;  ///< with a completion token: why the whole call failed (the code is the handler's)
  bool ok() const noexcept { return failed.empty(); }
};

struct batch_get_failure {
  std::string table;
  item key;
  std::error_code code;
  std::string message;
};

struct batch_get_outcome {
  std::map<std::string, std::vector<item>> items;  ///< per table, in no particular order
  std::size_t calls = 0;                            ///< BatchGetItem calls made
  std::vector<batch_get_failure> failed;
  diagnostics diag;  ///< with a completion token: why the whole call failed (the code is the handler's)
  bool ok() const noexcept { return failed.empty(); }
};

/// (No default arguments on coroutines: GCC 12 destroys a defaulted
/// coroutine argument twice. The shorter forms are plain functions.)
boost::asio::awaitable<batch_write_outcome> batch_write(client& c,
                                                        std::map<std::string, std::vector<write_request>> writes,
                                                        batch_options opt);
inline boost::asio::awaitable<batch_write_outcome> batch_write(client& c,
                                                               std::map<std::string, std::vector<write_request>> writes) {
  return batch_write(c, std::move(writes), batch_options());
}

/// Per table: the keys and how to read them (projection, consistency).
boost::asio::awaitable<batch_get_outcome> batch_get(client& c, std::map<std::string, keys_and_attributes> reads,
                                                    batch_options opt);
inline boost::asio::awaitable<batch_get_outcome> batch_get(client& c, std::map<std::string, keys_and_attributes> reads) {
  return batch_get(c, std::move(reads), batch_options());
}

/// The same for any completion token (ddb/detail/run_op.hpp): signature
/// void(error_code, outcome); the outcome's diag says why a call failed as a
/// whole (chunks that stayed unprocessed are in `failed`, as always).
template <class Token>
auto batch_write(client& c, std::map<std::string, std::vector<write_request>> writes, batch_options opt, Token&& token) {
  return detail::run_op<batch_write_outcome>(
      c.get_executor(), std::forward<Token>(token),
      [&c, writes = std::move(writes), opt = std::move(opt)]() mutable { return batch_write(c, std::move(writes), std::move(opt)); });
}
template <class Token>
auto batch_get(client& c, std::map<std::string, keys_and_attributes> reads, batch_options opt, Token&& token) {
  return detail::run_op<batch_get_outcome>(
      c.get_executor(), std::forward<Token>(token),
      [&c, reads = std::move(reads), opt = std::move(opt)]() mutable { return batch_get(c, std::move(reads), std::move(opt)); });
}

}  // namespace ddb
