// ddb::streams::client: the four Streams operations on a ddb::client that
// speaks the Streams API (its transport, retry rules and credentials).
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <cstdlib>

#include "ddb/streams.hpp"
#include "streams/codec.hpp"

namespace ddb::streams {

namespace asio = boost::asio;

namespace {
client_config for_streams(client_config cfg) {
  cfg.service = service_api::streams;
  return cfg;
}
}  // namespace

client_config config_like(const ddb::client& db, client_config base) {
  base.service = service_api::streams;
  if (base.region.empty()) base.region = db.region();
  if (!base.endpoint.empty()) return base;
  if (const char* env = std::getenv("AWS_ENDPOINT_URL_DYNAMODB_STREAMS"); env && *env) return base;
  const std::string& host = db.endpoint().host;
  constexpr std::string_view aws = ".amazonaws.com";
  const bool aws_host = host.size() >= aws.size() && host.compare(host.size() - aws.size(), aws.size(), aws) == 0;
  if (!aws_host) base.endpoint = db.endpoint().url();
  return base;
}

client::client(executor_type ex) : client(std::move(ex), client_config{}) {}
client::client(executor_type ex, client_config cfg)
    : db_(std::make_shared<ddb::client>(std::move(ex), for_streams(std::move(cfg)))) {}

namespace detail {

template <class Response>
void start(ddb::client& db, const char* operation, result<std::string> body, ddb::detail::handler_t<Response> handler) {
  const auto ex = db.get_executor();
  const auto handler_ex = asio::get_associated_executor(handler, ex);
  if (!body) {  // a request that cannot be sent: completes like any failure, never inline
    Response r;
    boost::system::error_code ec = body.error().code;
    r.diag.message = std::move(body).error().message;
    asio::post(ex, [h = std::move(handler), ec, r = std::move(r), handler_ex]() mutable {
      asio::dispatch(handler_ex, [h = std::move(h), ec, r = std::move(r)]() mutable { std::move(h)(ec, std::move(r)); });
    });
    return;
  }
  auto slot = asio::get_associated_cancellation_slot(handler);
  db.call(operation, std::move(*body), request_safety::idempotent,  // every Streams operation only reads
          asio::bind_cancellation_slot(
              slot, asio::bind_executor(handler_ex, [h = std::move(handler)](boost::system::error_code ec,
                                                                              raw_response raw) mutable {
                Response r;
                if (!ec) {
                  if (auto f = decode(raw.body, r)) {
                    r = Response{};
                    ec = f->code;
                    raw.diag.message = std::move(f->message);
                  }
                }
                r.diag = std::move(raw.diag);
                std::move(h)(ec, std::move(r));
              })));
}

template void start<list_streams_response>(ddb::client&, const char*, result<std::string>,
                                           ddb::detail::handler_t<list_streams_response>);
template void start<describe_stream_response>(ddb::client&, const char*, result<std::string>,
                                              ddb::detail::handler_t<describe_stream_response>);
template void start<get_shard_iterator_response>(ddb::client&, const char*, result<std::string>,
                                                 ddb::detail::handler_t<get_shard_iterator_response>);
template void start<get_records_response>(ddb::client&, const char*, result<std::string>,
                                          ddb::detail::handler_t<get_records_response>);

}  // namespace detail
}  // namespace ddb::streams
