// ddb::http::pool (include/ddb/http.hpp): the public face of a transport pool
// for plain HTTP, on http_fetch.
#include "ddb/http.hpp"

#include <boost/asio/this_coro.hpp>

#include <optional>

#include "ddb/error.hpp"
#include "transport/http_fetch.hpp"
#include "transport/transport.hpp"

namespace ddb::http {

struct pool::impl {
  endpoint ep;
  std::string base_path;  // without a trailing '/'
  std::string base_url;
  pool_options opt;
  std::optional<detail::pool> connections;  // made by the first fetch, on its executor
};

pool::pool(std::string_view base_url, pool_options opt) : impl_(std::make_shared<impl>()) {
  auto target = detail::split_url(base_url);
  if (!target) throw ddb::error(std::move(target).error());
  impl_->ep = std::move(target->first);
  impl_->base_path = std::move(target->second);
  while (!impl_->base_path.empty() && impl_->base_path.back() == '/') impl_->base_path.pop_back();
  impl_->base_url = impl_->ep.url() + impl_->base_path;
  impl_->opt = std::move(opt);
}

pool::~pool() {
  if (impl_->connections) impl_->connections->close();  // a fetch in flight keeps impl_ and ends with client_closed
}

const std::string& pool::base_url() const noexcept { return impl_->base_url; }

boost::asio::awaitable<response> pool::fetch(request req) {
  const std::shared_ptr<impl> self = impl_;
  if (!self->connections) {
    detail::transport_options t;
    t.ep = self->ep;
    t.pool_size = self->opt.pool_size;
    t.connect_timeout = self->opt.connect_timeout;
    t.max_response_bytes = self->opt.max_response_bytes;
    t.verify_tls = self->opt.verify_tls;
    t.ca_file = self->opt.ca_file;
    auto ex = co_await boost::asio::this_coro::executor;
    self->connections.emplace(ex, std::move(t));
  }
  if (req.path.empty() || req.path[0] != '/') req.path.insert(0, "/");
  detail::fetch_request f;
  f.method = std::move(req.method);
  f.url = self->base_url + req.path;
  f.headers = std::move(req.headers);
  f.body = std::move(req.body);
  f.timeout = req.timeout;
  detail::fetch_result r = co_await detail::http_fetch(*self->connections, std::move(f));
  response out;
  out.ec = r.ec;
  out.detail = std::move(r.detail);
  out.status = r.response.status;
  out.body = std::move(r.response.body);
  co_return out;
}

}  // namespace ddb::http
