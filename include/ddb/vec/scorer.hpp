#pragma once
// ddb::vec::scorer: searches an index on a thread pool and completes on the
// caller's executor, so an event loop never scores (and never blocks):
//
//   ddb::vec::scorer s(co_await asio::this_coro::executor, idx, 2);
//   ddb::vec::matches best = co_await s.search(query, {.k = 3});
//
// Consistency: a search reads a snapshot of the index taken when it starts
// (on the owner's thread, where the index is used). Rows added, updated or
// removed afterwards are invisible to it; the index copies a block of rows
// before changing one that a running search may read, and never moves rows a
// search is reading. A search holds its snapshot's blocks until it completes.
//
// Errors (bad query, bad k) complete the operation with a ddb::vec::error
// (rethrown by co_await); the completion signature is
// void(std::exception_ptr, matches) or, for search_batch,
// void(std::exception_ptr, std::vector<matches>).
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <memory>
#include <span>
#include <vector>

#include "ddb/vec/index.hpp"

namespace boost::asio {
class thread_pool;
}

namespace ddb::vec {

namespace detail {
struct scorer_impl;
using one_handler = boost::asio::any_completion_handler<void(std::exception_ptr, matches)>;
using batch_handler = boost::asio::any_completion_handler<void(std::exception_ptr, std::vector<matches>)>;
void start_search(const std::shared_ptr<scorer_impl>& impl, std::vector<float> query, search_options opt,
                  one_handler handler);
void start_search_batch(const std::shared_ptr<scorer_impl>& impl, std::vector<float> queries, std::size_t count,
                        search_options opt, batch_handler handler);
}  // namespace detail

/// Runs an index's searches on a thread pool (small ones inline) and
/// completes them on an event loop. Use it, like its index, from the index's
/// owner thread; the index must outlive it. Not copyable or movable.
class scorer {
 public:
  /// Runs searches on a pool of `threads` threads owned by the scorer (0: one
  /// per hardware thread) and completes on `loop` unless the completion
  /// handler has an executor of its own.
  scorer(boost::asio::any_io_executor loop, index& idx, std::size_t threads = 0);
  /// Runs on the caller's pool, splitting each search into up to `parts` pieces.
  scorer(boost::asio::any_io_executor loop, index& idx, boost::asio::thread_pool& pool, std::size_t parts);
  ~scorer();  ///< waits for the searches running on its own pool
  scorer(const scorer&) = delete;
  scorer& operator=(const scorer&) = delete;

  index& target() noexcept;                ///< the index it searches
  /// Most pieces a search is split into (the own pool's thread count, or the
  /// `parts` given, at least 1); a search uses min(parts(), rows / 16,384), at least 1.
  std::size_t parts() const noexcept;

  /// The query is copied before this returns. Fails (never inside this call)
  /// as index::search() throws, or with invalid_argument once the scorer is destroyed.
  template <class Token = boost::asio::use_awaitable_t<>>
  auto search(std::span<const float> query, search_options opt, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(std::exception_ptr, matches)>(
        [impl = impl_](auto handler, std::vector<float> q, search_options o) {
          detail::start_search(impl, std::move(q), std::move(o), std::move(handler));
        },
        token, std::vector<float>(query.begin(), query.end()), std::move(opt));
  }

  /// `count` queries, one after another (count * dim floats), scored together;
  /// one result list per query, in order. Errors as search().
  template <class Token = boost::asio::use_awaitable_t<>>
  auto search_batch(std::span<const float> queries, std::size_t count, search_options opt, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(std::exception_ptr, std::vector<matches>)>(
        [impl = impl_](auto handler, std::vector<float> q, std::size_t n, search_options o) {
          detail::start_search_batch(impl, std::move(q), n, std::move(o), std::move(handler));
        },
        token, std::vector<float>(queries.begin(), queries.end()), count, std::move(opt));
  }

 private:
  std::shared_ptr<detail::scorer_impl> impl_;
};

}  // namespace ddb::vec
