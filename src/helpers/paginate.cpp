#include "ddb/paginate.hpp"

#include <algorithm>

#include "core/base64.hpp"
#include "core/crypto.hpp"
#include "ddb/core/json.hpp"
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
  // The next start is kept even when max_items ends the stream here, so
  // next_request() and cursor() resume right after the last item returned.
  if (page.last_evaluated_key.empty()) {
    done_ = exhausted_ = true;
    req_.exclusive_start_key.clear();
  } else {
    req_.exclusive_start_key = page.last_evaluated_key;
    if (opt_.max_items && seen_ >= *opt_.max_items) done_ = true;
  }
  co_return page;
}

// ---- cursors: base64url(version 1 | 8 bytes of the query's digest | JSON of the key)

namespace {

constexpr std::uint8_t cursor_version = 1;
constexpr std::size_t binding_bytes = 8;

// What makes two requests the same query, as text: every field that chooses
// which items come back and in what order.
void bind_field(std::string& out, std::string_view name, std::string_view v) {
  out += name;
  out += '=';
  out += std::to_string(v.size());
  out += ':';
  out += v;
  out += '\n';
}
void bind_common(std::string& out, const std::string& table, const std::optional<std::string>& index,
                 const std::optional<std::string>& filter, const std::map<std::string, std::string>& names,
                 const item& values) {
  bind_field(out, "table", table);
  bind_field(out, "index", index.value_or(""));
  bind_field(out, "filter", filter.value_or(""));
  for (const auto& [k, v] : names) bind_field(out, k, v);  // std::map: in name order
  std::vector<std::pair<std::string, std::string>> vals;
  for (const auto& [k, v] : values) vals.emplace_back(k, json::to_json(v));
  std::sort(vals.begin(), vals.end());
  for (const auto& [k, v] : vals) bind_field(out, k, v);
}
std::string binding_text(const query_request& r) {
  std::string t = "query\n";
  bind_common(t, r.table_name, r.index_name, r.filter_expression, r.expression_attribute_names, r.expression_attribute_values);
  bind_field(t, "key", r.key_condition_expression.value_or(""));
  bind_field(t, "forward", r.scan_index_forward.value_or(true) ? "1" : "0");
  return t;
}
std::string binding_text(const scan_request& r) {
  std::string t = "scan\n";
  bind_common(t, r.table_name, r.index_name, r.filter_expression, r.expression_attribute_names, r.expression_attribute_values);
  bind_field(t, "segment", std::to_string(r.segment.value_or(-1)) + "/" + std::to_string(r.total_segments.value_or(-1)));
  return t;
}

template <class Request>
std::string make_cursor(const Request& r, const item& key) {
  if (key.empty()) return {};
  const auto digest = crypto::sha256(binding_text(r));
  std::string raw;
  raw.push_back(static_cast<char>(cursor_version));
  raw.append(reinterpret_cast<const char*>(digest.data()), binding_bytes);
  raw += json::to_json(key);
  std::string out;
  base64::append_encoded(out, reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
  for (char& ch : out) ch = ch == '+' ? '-' : ch == '/' ? '_' : ch;  // URL-safe, unpadded
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

[[noreturn]] void bad_cursor(const std::string& why) {
  throw ddb::error(fail(errc::invalid_cursor, "page cursor: " + why));
}

template <class Request>
item read_cursor(const Request& r, std::string_view cursor) {
  if (cursor.empty()) return {};
  if (cursor.size() > 8192) bad_cursor("longer than any cursor ddb makes (" + std::to_string(cursor.size()) + " characters)");
  std::string text(cursor);
  for (char& ch : text) {
    if (ch == '-') ch = '+';
    else if (ch == '_') ch = '/';
    else if (ch == '+' || ch == '/' || ch == '=') bad_cursor("not a cursor from cursor() (it is URL-safe base64 without padding)");
  }
  while (text.size() % 4) text.push_back('=');
  bytes raw;
  if (!base64::decode(text, raw)) bad_cursor("damaged (not base64url): pass it back exactly as cursor() gave it");
  if (raw.size() < 1 + binding_bytes + 2 || raw[0] != cursor_version)
    bad_cursor("damaged, or from an unknown version of ddb: start again without one");
  const auto digest = crypto::sha256(binding_text(r));
  if (!std::equal(digest.begin(), digest.begin() + binding_bytes, raw.begin() + 1))
    bad_cursor("it belongs to another query (table, index, expressions, their values, direction or segment differ): "
               "use it only with the query that made it");
  const std::string_view json(reinterpret_cast<const char*>(raw.data()) + 1 + binding_bytes, raw.size() - 1 - binding_bytes);
  auto key = json::parse_item(json);
  if (!key || key->empty()) bad_cursor("damaged (its key does not parse): start again without one");
  return std::move(*key);
}

}  // namespace

template class pager<query_request, query_response>;
template class pager<scan_request, scan_response>;

}  // namespace detail

std::string page_cursor(const query_request& r, const item& k) { return detail::make_cursor(r, k); }
std::string page_cursor(const scan_request& r, const item& k) { return detail::make_cursor(r, k); }
item parse_page_cursor(const query_request& r, std::string_view c) { return detail::read_cursor(r, c); }
item parse_page_cursor(const scan_request& r, std::string_view c) { return detail::read_cursor(r, c); }

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
