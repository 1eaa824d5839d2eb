#pragma once
// Query and Scan as page streams, following LastEvaluatedKey:
//
//   ddb::query_pages pages(db, request, {.max_items = 500});
//   while (auto page = co_await pages.next())
//     for (const ddb::item& it : page->items) ...
//
// Each page is one Query/Scan call (its size set by the request's Limit);
// max_items caps the items over all pages (the last request's Limit is
// lowered so that no item past the cap is read). Errors throw ddb::error
// from next(), with the page's diagnostics; the stream can be resumed by
// calling next() again (the failed page is asked for again).
//
// One page plus a cursor (the usual web API):
//
//   ddb::query_pages pages(db, request, {.max_items = 20});
//   pages.resume(cursor_from_client);     // "" = from the start
//   auto page = co_await pages.next();
//   reply(page->items, pages.cursor());   // "" when there is nothing more
//
// cursor() is an opaque, URL-safe string naming where the next page starts
// (after the last item returned, also when max_items stopped the stream);
// it is bound to the query (table, index, expressions and their values,
// direction, segment), so a cursor brought back to another query, or
// damaged, is refused with errc::invalid_cursor. It is not a secret and not
// signed: a client can make one for any key of the same query; sign it in
// your server if clients must not choose where to start.
//
// scan_all / query_all collect every item; scan_all runs `segments` parallel
// segments (Segment / TotalSegments) and merges them in segment order.
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "ddb/client.hpp"
#include "ddb/detail/run_op.hpp"

namespace ddb {

/// Options of query_pages, scan_pages, query_all and scan_all.
struct page_options {
  std::optional<std::size_t> max_items;  ///< over all pages; none: every item
};
/// Options stay trivially destructible: GCC 12 destroys a braced temporary
/// inside a co_await expression twice (`co_await query_all(db, q, {.max_items
/// = 5})`), which is harmless only for such types.
static_assert(std::is_trivially_destructible_v<page_options>);

/// The cursor of a request about to start at `exclusive_start_key` ("" for an
/// empty key), and the key back from a cursor (throws errc::invalid_cursor).
std::string page_cursor(const query_request& r, const item& exclusive_start_key);
/// The cursor of a scan about to start at `exclusive_start_key` ("" for an empty key).
std::string page_cursor(const scan_request& r, const item& exclusive_start_key);
/// The ExclusiveStartKey a page_cursor() of this query names (empty for "");
/// throws ddb::error (errc::invalid_cursor) for a damaged cursor or one of another query.
item parse_page_cursor(const query_request& r, std::string_view cursor);
/// The ExclusiveStartKey a page_cursor() of this scan names (empty for "");
/// throws ddb::error (errc::invalid_cursor) for a damaged cursor or one of another scan.
item parse_page_cursor(const scan_request& r, std::string_view cursor);

namespace detail {
template <class Request, class Response>
class pager {
 public:
  pager(client& c, Request first, page_options opt = {}) : c_(&c), req_(std::move(first)), opt_(opt) {}
  /// Starts at a cursor() of the same query instead ("" = from the start);
  /// throws ddb::error(errc::invalid_cursor) for a damaged cursor or one of
  /// another query. Call it before next().
  void resume(std::string_view cursor) {
    req_.exclusive_start_key = parse_page_cursor(req_, cursor);
    done_ = exhausted_ = false;
  }
  boost::asio::awaitable<std::optional<Response>> next();
  /// The same for any completion token: void(error_code, std::optional<Response>),
  /// on failure a Response holding the diagnostics (the pager must outlive the call).
  template <class Token>
  auto next(Token&& token) {
    return ddb::detail::run_op<std::optional<Response>>(c_->get_executor(), std::forward<Token>(token),
                                                         [this] { return next(); });
  }
  /// No more pages from this pager: the query is exhausted, or max_items reached.
  bool done() const noexcept { return done_; }
  /// The query has no more items (DynamoDB sent no LastEvaluatedKey).
  bool exhausted() const noexcept { return exhausted_; }
  /// Where the next page starts, as an opaque string; "" when exhausted().
  std::string cursor() const { return exhausted_ ? std::string() : page_cursor(req_, req_.exclusive_start_key); }
  std::size_t items_so_far() const noexcept { return seen_; }
  std::size_t pages_so_far() const noexcept { return pages_; }
  /// The request the next page will send (its ExclusiveStartKey is the
  /// previous page's LastEvaluatedKey, also when max_items stopped the
  /// stream): keep it, or cursor(), to resume later.
  const Request& next_request() const noexcept { return req_; }

 private:
  client* c_;
  Request req_;
  page_options opt_;
  std::size_t seen_ = 0, pages_ = 0;
  bool done_ = false, exhausted_ = false;
};
}  // namespace detail

/// The pages of a Query, one call each (see the top of this header).
using query_pages = detail::pager<query_request, query_response>;
/// The pages of a Scan, one call each (see the top of this header).
using scan_pages = detail::pager<scan_request, scan_response>;

/// Every item of the query (up to opt.max_items), page after page, held in
/// memory; a failed page throws ddb::error.
/// (No default arguments on coroutines: GCC 12 destroys a defaulted
/// coroutine argument twice. The shorter forms are plain functions.)
boost::asio::awaitable<std::vector<item>> query_all(client& c, query_request request, page_options opt);
/// query_all with the default page_options: every item.
inline boost::asio::awaitable<std::vector<item>> query_all(client& c, query_request request) {
  return query_all(c, std::move(request), page_options());
}
/// Every item of the scan, `segments` segments scanned at once and merged in
/// segment order, up to opt.max_items (segments may read past it; the result
/// is cut). segments: 1 to 1,000,000 (DynamoDB's TotalSegments range), else
/// ddb::error (errc::invalid_config). The first failed page's ddb::error is
/// thrown once every segment has ended (the others run on to their end).
boost::asio::awaitable<std::vector<item>> scan_all(client& c, scan_request request, std::size_t segments,
                                                   page_options opt);
/// scan_all with the default page_options: every item.
inline boost::asio::awaitable<std::vector<item>> scan_all(client& c, scan_request request, std::size_t segments = 1) {
  return scan_all(c, std::move(request), segments, page_options());
}
/// The same for any completion token: void(error_code, std::vector<item>).
/// (The failure's message and request id come with the default token's
/// ddb::error, or page by page from a pager.)
template <class Token>
auto query_all(client& c, query_request request, page_options opt, Token&& token) {
  return detail::run_op<std::vector<item>>(c.get_executor(), std::forward<Token>(token),
                                           [&c, request = std::move(request), opt]() mutable {
                                             return query_all(c, std::move(request), opt);
                                           });
}
/// scan_all for any completion token: void(error_code, std::vector<item>).
template <class Token>
auto scan_all(client& c, scan_request request, std::size_t segments, page_options opt, Token&& token) {
  return detail::run_op<std::vector<item>>(c.get_executor(), std::forward<Token>(token),
                                           [&c, request = std::move(request), segments, opt]() mutable {
                                             return scan_all(c, std::move(request), segments, opt);
                                           });
}

}  // namespace ddb
