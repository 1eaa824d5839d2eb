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

/// How batch_write and batch_get run and retry. concurrency and max_attempts
/// below 1 throw ddb::error (errc::invalid_config).
struct batch_options {
  std::size_t concurrency = 4;  ///< requests in flight
  int max_attempts = 8;         ///< calls per chunk (the first one and the retries of what is unprocessed)
  /// Backoff before the second call of a chunk: a random delay up to this,
  /// the bound doubling with each further call (full jitter).
  std::chrono::milliseconds base_delay{50};
  /// The largest bound of the backoff.
  std::chrono::milliseconds max_delay{5000};
  /// Key attribute names per table (hash key first); tables not listed are described.
  std::map<std::string, std::vector<std::string>> key_attributes;
};

/// A write that did not go through, and why.
struct batch_write_failure {
  std::string table;  ///< the table it was for
  write_request request;  ///< the PutRequest or DeleteRequest, as given
  std::error_code code;  ///< errc::unprocessed, or the error of the call that carried it
  std::string message;  ///< what went wrong and what to do, for people
};

/// What batch_write did.
struct batch_write_outcome {
  std::size_t written = 0;  ///< writes that went through: all those given but the failed ones
  std::size_t calls = 0;  ///< BatchWriteItem calls made
  std::vector<batch_write_failure> failed;  ///< writes that did not go through
  diagnostics diag;  ///< with a completion token: why the whole call failed (the code is the handler's)
  /// True when every write went through.
  bool ok() const noexcept { return failed.empty(); }
};

/// A key that could not be read, and why.
struct batch_get_failure {
  std::string table;  ///< the table it was for
  item key;  ///< the key, as given
  std::error_code code;  ///< errc::unprocessed, or the error of the call that carried it
  std::string message;  ///< what went wrong and what to do, for people
};

/// What batch_get read.
struct batch_get_outcome {
  std::map<std::string, std::vector<item>> items;  ///< per table, in no particular order
  std::size_t calls = 0;                            ///< BatchGetItem calls made
  std::vector<batch_get_failure> failed;  ///< keys that could not be read
  diagnostics diag;  ///< with a completion token: why the whole call failed (the code is the handler's)
  /// True when every key was read; a key with no item is simply absent from `items`.
  bool ok() const noexcept { return failed.empty(); }
};

/// Writes every put and delete, per table: at most 25 (and 16 MB) per
/// BatchWriteItem call, opt.concurrency calls at once, what comes back
/// unprocessed sent again. Throws ddb::error before anything is written for
/// what the top of this header lists (errc::invalid_name, invalid_config,
/// item_too_large, duplicate_key), or when DescribeTable fails; after that,
/// failures are in the outcome's `failed`.
/// (No default arguments on coroutines: GCC 12 destroys a defaulted
/// coroutine argument twice. The shorter forms are plain functions.)
boost::asio::awaitable<batch_write_outcome> batch_write(client& c,
                                                        std::map<std::string, std::vector<write_request>> writes,
                                                        batch_options opt);
/// batch_write with the default batch_options.
inline boost::asio::awaitable<batch_write_outcome> batch_write(client& c,
                                                               std::map<std::string, std::vector<write_request>> writes) {
  return batch_write(c, std::move(writes), batch_options());
}

/// Reads every key: at most 100 per BatchGetItem call, opt.concurrency calls
/// at once, unprocessed keys asked again. `reads`, per table: the keys and
/// how to read them (projection, consistency). Throws ddb::error before
/// anything is sent for a bad table name (errc::invalid_name), a key given
/// twice (errc::duplicate_key) or bad options; after that, failures are in
/// the outcome's `failed`.
boost::asio::awaitable<batch_get_outcome> batch_get(client& c, std::map<std::string, keys_and_attributes> reads,
                                                    batch_options opt);
/// batch_get with the default batch_options.
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
/// batch_get for any completion token: signature void(error_code, batch_get_outcome).
template <class Token>
auto batch_get(client& c, std::map<std::string, keys_and_attributes> reads, batch_options opt, Token&& token) {
  return detail::run_op<batch_get_outcome>(
      c.get_executor(), std::forward<Token>(token),
      [&c, reads = std::move(reads), opt = std::move(opt)]() mutable { return batch_get(c, std::move(reads), std::move(opt)); });
}

}  // namespace ddb
