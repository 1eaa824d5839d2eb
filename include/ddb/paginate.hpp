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
// scan_all / query_all collect every item; scan_all runs `segments` parallel
// segments (Segment / TotalSegments) and merges them in segment order.
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <optional>
#include <vector>

#include "ddb/client.hpp"

namespace ddb {

struct page_options {
  std::optional<std::size_t> max_items;  // over all pages; none: every item
};

namespace detail {
template <class Request, class Response>
class pager {
 public:
  pager(client& c, Request first, page_options opt = {}) : c_(&c), req_(std::move(first)), opt_(opt) {}
  boost::asio::awaitable<std::optional<Response>> next();
  bool done() const noexcept { return done_; }
  std::size_t items_so_far() const noexcept { return seen_; }
  std::size_t pages_so_far() const noexcept { return pages_; }
  // The request the next page will send (its ExclusiveStartKey is the
  // previous page's LastEvaluatedKey): keep it to resume later.
  const Request& next_request() const noexcept { return req_; }

 private:
  client* c_;
  Request req_;
  page_options opt_;
  std::size_t seen_ = 0, pages_ = 0;
  bool done_ = false;
};
}  // namespace detail

using query_pages = detail::pager<query_request, query_response>;
using scan_pages = detail::pager<scan_request, scan_response>;

boost::asio::awaitable<std::vector<item>> query_all(client& c, query_request request, page_options opt = {});
// segments: 1 to 1,000,000 (DynamoDB's TotalSegments range).
boost::asio::awaitable<std::vector<item>> scan_all(client& c, scan_request request, std::size_t segments = 1,
                                                   page_options opt = {});

}  // namespace ddb
