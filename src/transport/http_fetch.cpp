#include "transport/http_fetch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/endpoint.hpp"
#include "ddb/core/sigv4.hpp"
#include "transport/transport.hpp"

namespace ddb::detail {
namespace {

// Wakes the waiting coroutine when the pool reports the exchange done.
struct fetch_waiter final : exchange_owner {
  explicit fetch_waiter(asio::steady_timer& t) : timer(&t) {}
  void exchange_done(exchange_ptr) override {
    done = true;
    timer->cancel();
  }
  asio::steady_timer* timer;
  bool done = false;
};

bool path_ok(std::string_view p) {
  for (unsigned char c : p)
    if (c <= 0x20 || c == 0x7F) return false;  // no spaces, controls, CR/LF: they would split the request line
  return !p.empty() && p[0] == '/';
}

}  // namespace

result<std::pair<endpoint, std::string>> split_url(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return fail(errc::invalid_endpoint, "'" + std::string(url) + "' is not a URL (expected http://host/path)");
  const std::size_t path_at = url.find_first_of("/?", scheme_end + 3);
  auto ep = parse_endpoint(url.substr(0, path_at));
  if (!ep) return std::move(ep).error();
  std::string path = path_at == std::string_view::npos ? "/" : std::string(url.substr(path_at));
  if (path[0] == '?') path.insert(0, "/");
  if (!path_ok(path))
    return fail(errc::invalid_endpoint, "the path of '" + std::string(url) + "' holds white space or control characters");
  return std::make_pair(std::move(*ep), std::move(path));
}

namespace {

// The request's bytes, or an error naming what cannot be sent.
result<std::string> request_bytes(const fetch_request& req, const endpoint& ep, const std::string& target) {
  std::string bytes;
  bytes.append(req.method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
  bytes.append(ep.host_header).append("\r\nUser-Agent: ddb\r\nAccept: */*\r\n");
  for (const auto& [name, value] : req.headers) {
    if (auto ok = sigv4::check_header(name, value); !ok) {
      secure_wipe(bytes.data(), bytes.capacity());
      return failure{ok.error().code, "header " + name + ": " + ok.error().message};
    }
    bytes.append(name).append(": ").append(value).append("\r\n");
  }
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT")
    bytes.append("Content-Length: ").append(std::to_string(req.body.size())).append("\r\n");
  bytes.append("\r\n").append(req.body);
  return bytes;
}

// Submits one exchange to p and waits for it, the deadline or cancellation.
asio::awaitable<fetch_result> exchange_on(pool& p, std::string bytes, std::chrono::milliseconds timeout) {
  fetch_result out;
  auto ex = std::make_shared<exchange>();
  ex->request = std::move(bytes);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto waiter = std::make_shared<fetch_waiter>(timer);
  ex->owner = waiter;
  timer.expires_after(timeout);
  p.submit(ex);
  auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (waiter->done) {
    out.ec = ex->ec;
    out.detail = std::move(ex->error_detail);
    out.response = std::move(ex->response);
  } else {
    p.abandon(ex, true);
    if (ec)
      out.ec = asio::error::operation_aborted;
    else
      out.ec = make_error_code(errc::attempt_timeout);
    out.detail = ec ? "cancelled" : "no answer within " + std::to_string(timeout.count()) + " ms";
  }
  // What went out may carry a token: wiped (the exchange may outlive this frame).
  secure_wipe(ex->request.data(), ex->request.capacity());
  co_return out;
}

fetch_result failed(const failure& f) {
  fetch_result out;
  out.ec = f.code;
  out.detail = f.message;
  return out;
}

}  // namespace

asio::awaitable<fetch_result> http_fetch(pool& p, fetch_request req) {
  auto target = split_url(req.url);
  if (!target) co_return failed(target.error());
  auto bytes = request_bytes(req, p.options().ep, target->second);
  // The body and header values may hold tokens: wiped once copied into the request.
  secure_wipe(req.body.data(), req.body.capacity());
  for (auto& h : req.headers) secure_wipe(h.second.data(), h.second.capacity());
  if (!bytes) co_return failed(bytes.error());
  co_return co_await exchange_on(p, std::move(*bytes), req.timeout);
}

asio::awaitable<fetch_result> http_fetch(fetch_request req) {
  auto target = split_url(req.url);
  if (!target) co_return failed(target.error());
  transport_options opt;
  opt.ep = target->first;
  opt.pool_size = 1;
  opt.connect_timeout = req.timeout;
  opt.max_response_bytes = 1024 * 1024;
  opt.verify_tls = req.verify_tls;
  opt.ca_file = req.ca_file;
  opt.ca_pem = req.ca_pem;
  auto io = co_await asio::this_coro::executor;
  pool p(io, std::move(opt));
  fetch_result out = co_await http_fetch(p, std::move(req));
  p.close();
  co_return out;
}

}  // namespace ddb::detail
