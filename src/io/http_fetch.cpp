#include "io/http_fetch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/endpoint.hpp"
#include "ddb/core/sigv4.hpp"
#include "io/transport.hpp"

namespace ddb::detail {
namespace {

// Wakes the waiting coroutine when the pool reports the exchange done.
struct fetch_waiter final : exchange_owner {
  explicit fetch_waiter(asio::steady_timer& t) : timer(&t) {}
  void exchange_done(exchange&) override {
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

asio::awaitable<fetch_result> http_fetch(fetch_request req) {
  fetch_result out;
  auto target = split_url(req.url);
  if (!target) {
    out.ec = target.error().code;
    out.detail = target.error().message;
    co_return out;
  }
  auto ex = std::make_shared<exchange>();
  std::string& bytes = ex->request;
  bytes.append(req.method).append(" ").append(target->second).append(" HTTP/1.1\r\nHost: ");
  bytes.append(target->first.host_header).append("\r\nUser-Agent: ddb\r\nAccept: */*\r\n");
  for (const auto& [name, value] : req.headers) {
    if (auto ok = sigv4::check_header(name, value); !ok) {
      out.ec = ok.error().code;
      out.detail = "header " + name + ": " + ok.error().message;
      co_return out;
    }
    bytes.append(name).append(": ").append(value).append("\r\n");
  }
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT")
    bytes.append("Content-Length: ").append(std::to_string(req.body.size())).append("\r\n");
  bytes.append("\r\n").append(req.body);

  auto io = co_await asio::this_coro::executor;
  transport_options opt;
  opt.ep = target->first;
  opt.pool_size = 1;
  opt.connect_timeout = req.timeout;
  opt.max_response_bytes = 1024 * 1024;
  opt.verify_tls = req.verify_tls;
  opt.ca_file = req.ca_file;
  opt.ca_pem = req.ca_pem;
  pool p(io, std::move(opt));
  asio::steady_timer timer(io);
  auto waiter = std::make_shared<fetch_waiter>(timer);
  ex->owner = waiter;
  timer.expires_after(req.timeout);
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
    out.detail = ec ? "cancelled" : "no answer within " + std::to_string(req.timeout.count()) + " ms";
  }
  // Wipe what went out (it may carry a token): the exchange dies with this frame.
  secure_wipe(ex->request.data(), ex->request.capacity());
  secure_wipe(req.body.data(), req.body.capacity());
  p.close();
  co_return out;
}

}  // namespace ddb::detail
