#include "ddb/paginate.hpp"

#include "helpers/run_all.hpp"

namespace ddb {
namespace asio = boost::asio;

namespace detail {

template <class Request>
auto page_of(client& c, const Request& r) {
  if constexpr (std::is_same_v<Request, query_request>)
    return c.query(r);
  else
    return c.scan(r);
}

template <class Request, class Response>
asio::awaitable<std::optional<Response>> pager<Request, Response>::next() {
  if (done_) co_return std::nullopt;
  std::optional<std::int64_t> user_limit = req_.limit;
  if (opt_.max_items) {
    const auto remaining = static_cast<std::int64_t>(*opt_.max_items - seen_);
    if (remaining <= 0) {
      done_ = true;
      co_return std::nullopt;
    }
    if (!req_.limit || *req_.limit > remaining) req_.limit = remaining;
  }
  Response page = co_await page_of(*c_, req_);
  req_.limit = user_limit;
  ++pages_;
  // A COUNT query returns no items, only how many there were.
  seen_ += page.items.empty() ? static_cast<std::size_t>(page.count.value_or(0)) : page.items.size();
  if (page.last_evaluated_key.empty() || (opt_.max_items && seen_ >= *opt_.max_items))
    done_ = true;
  else
    req_.exclusive_start_key = page.last_evaluated_key;
  co_return page;
}

template class pager<query_request, query_response>;
template class pager<scan_request, scan_response>;

}  // namespace detail

asio::awaitable<std::vector<item>> query_all(client& c, query_request request, page_options opt) {
  std::vector<item> out;
  query_pages pages(c, std::move(request), opt);
  while (auto page = co_await pages.next())
    for (auto& it : page->items) out.push_back(std::move(it));
  co_return out;
}

asio::awaitable<std::vector<item>> scan_all(client& c, scan_request request, std::size_t segments, page_options opt) {
  if (segments < 1 || segments > 1000000)
    throw ddb::error(fail(errc::invalid_config, "scan_all: segments = " + std::to_string(segments) +
                                                    " is outside [1, 1000000] (DynamoDB's TotalSegments range)"));
  if (segments == 1) {
    std::vector<item> out;
    scan_pages pages(c, std::move(request), opt);
    while (auto page = co_await pages.next())
      for (auto& it : page->items) out.push_back(std::move(it));
    co_return out;
  }
  // One coroutine per segment, each scanning its pages; a shared count
  // stops them all at the cap.
  std::vector<std::vector<item>> parts(segments);
  std::size_t total = 0;
  co_await detail::run_all(segments, [&](std::size_t s) -> asio::awaitable<void> {
    scan_request seg = request;
    seg.segment = static_cast<std::int64_t>(s);
    seg.total_segments = static_cast<std::int64_t>(segments);
    scan_pages pages(c, std::move(seg), opt);
    while (!(opt.max_items && total >= *opt.max_items)) {
      auto page = co_await pages.next();
      if (!page) break;
      total += page->items.size();
      for (auto& it : page->items) parts[s].push_back(std::move(it));
    }
  });
  std::vector<item> out;
  for (auto& part : parts)
    for (auto& it : part) {
      if (opt.max_items && out.size() >= *opt.max_items) break;
      out.push_back(std::move(it));
    }
  co_return out;
}

}  // namespace ddb
