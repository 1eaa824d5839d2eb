// ddb::streams::consumer: carries out the steps of the shard book
// (src/agent/shard_book.cpp) with the Streams client, and keeps positions in
// the agent table.
#include <boost/asio/steady_timer.hpp>

#include <optional>

#include "agent/common.hpp"
#include "agent/protocol.hpp"
#include "agent/shard_book.hpp"
#include "ddb/model/control.hpp"
#include "ddb/model/data.hpp"
#include "ddb/streams/consumer.hpp"

namespace ddb::streams {

namespace asio = boost::asio;
using agent::detail::fail_with;
using agent::detail::tuple_token;

namespace detail {

// Positions outlive the stream's 24-hour retention by a day, then expire.
constexpr std::int64_t position_ttl_seconds = 2 * 24 * 3600;

class consumer_impl {
 public:
  consumer_impl(client& s, ddb::client& db, consumer_options o)
      : s(s), db(db), opt(std::move(o)), book(opt.start, opt.rediscover) {
    if (!opt.positions.table_name.empty()) positions.emplace(agent::detail::checked_table{db, opt.positions});
  }

  client& s;
  ddb::client& db;
  consumer_options opt;
  std::optional<agent::detail::checked_table> positions;
  shard_book book;
  std::string arn;
  std::string pk_value;
  bool started = false;
  consumer_stats st;

  asio::awaitable<void> start() {
    if (started) co_return;
    if (opt.batch_limit < 1 || opt.batch_limit > 1000)
      fail_with(errc::invalid_config, "consumer_options::batch_limit must be between 1 and 1000");
    if (opt.idle_wait.count() < 0 || opt.rediscover.count() <= 0)
      fail_with(errc::invalid_config, "consumer_options::idle_wait must not be negative and rediscover must be positive");
    arn = opt.stream_arn;
    if (arn.empty()) {
      if (opt.table_name.empty())
        fail_with(errc::invalid_config, "consumer_options needs the table_name (or the stream_arn) to follow");
      describe_table_request dt;
      dt.table_name = opt.table_name;
      auto [ec, r] = co_await db.describe_table(dt, tuple_token);
      if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
      if (!r.table || !r.table->latest_stream_arn || r.table->latest_stream_arn->empty())
        fail_with(errc::invalid_config, "table " + opt.table_name +
                                            " has no stream: enable one (StreamSpecification, e.g. NEW_AND_OLD_IMAGES)");
      arn = *r.table->latest_stream_arn;
    }
    if (positions) {
      auto p = agent::detail::stream_position_pk(opt.name, arn);
      if (!p) throw ddb::error(std::move(p).error());
      pk_value = std::move(*p);
      co_await positions->ensure();
      co_await load();
    }
    started = true;
  }

  asio::awaitable<void> load() {
    std::vector<position> saved;
    query_request q;
    q.table_name = opt.positions.table_name;
    q.key_condition_expression = "#pk = :pk";
    q.expression_attribute_names = {{"#pk", agent::detail::pk}};
    q.expression_attribute_values = {{":pk", pk_value}};
    q.consistent_read = true;
    for (;;) {
      auto [ec, r] = co_await db.query(q, tuple_token);
      if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
      for (const item& it : r.items) {
        const std::string* shard_id = agent::detail::string_at(it, agent::detail::sk);
        if (!shard_id) continue;
        position p{*shard_id, {}, false};
        if (const std::string* seq = agent::detail::string_at(it, "seq")) p.sequence_number = *seq;
        if (const value* d = it.find("done"); d && d->get_if<bool>()) p.finished = *d->get_if<bool>();
        saved.push_back(std::move(p));
      }
      if (r.last_evaluated_key.empty()) break;
      q.exclusive_start_key = std::move(r.last_evaluated_key);
    }
    book.load(saved);
  }

  asio::awaitable<void> save() {
    if (!positions) {
      book.clear_changed();
      co_return;
    }
    const std::int64_t expires_at = agent::detail::epoch_ms(db.server_time()) / 1000 + position_ttl_seconds;
    for (const position& p : book.changed_positions()) {
      put_item_request put;
      put.table_name = opt.positions.table_name;
      put.item = item{{agent::detail::pk, pk_value}, {agent::detail::sk, p.shard_id}, {"done", value(p.finished)},
                      {agent::detail::ttl_attribute, value(number(expires_at))}};
      if (!p.sequence_number.empty()) put.item.insert_or_assign("seq", value(p.sequence_number));
      auto [ec, r] = co_await db.put_item(put, tuple_token);
      if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
      ++st.saves;
    }
    book.clear_changed();
  }

  asio::awaitable<void> describe() {
    std::vector<shard> shards;
    describe_stream_request d;
    d.stream_arn = arn;
    for (;;) {
      auto [ec, r] = co_await s.describe_stream(d, tuple_token);
      if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
      for (shard& x : r.stream_description.shards) shards.push_back(std::move(x));
      if (r.stream_description.last_evaluated_shard_id.empty()) break;
      d.exclusive_start_shard_id = std::move(r.stream_description.last_evaluated_shard_id);
    }
    book.on_described(shards, std::chrono::steady_clock::now());
  }

  // Streams errors that move the book rather than fail the consumer.
  bool absorbed(const boost::system::error_code& ec, const std::string& shard_id) {
    if (ec == service_errc::trimmed_data_access) {
      book.on_trimmed(shard_id);
      return true;
    }
    if (ec == service_errc::resource_not_found) {
      book.on_shard_gone(shard_id);
      return true;
    }
    return false;
  }

  asio::awaitable<batch> next() {
    co_await start();
    co_await save();  // what earlier calls returned was handled
    for (;;) {
      step st_ = book.next(std::chrono::steady_clock::now());
      switch (st_.what) {
        case step::describe:
          co_await describe();
          break;
        case step::get_iterator: {
          get_shard_iterator_request g;
          g.stream_arn = arn;
          g.shard_id = st_.shard_id;
          g.type = st_.type;
          g.sequence_number = st_.sequence_number;
          ++st.iterators;
          auto [ec, r] = co_await s.get_shard_iterator(g, tuple_token);
          if (ec && absorbed(ec, st_.shard_id)) break;
          if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
          book.on_iterator(st_.shard_id, std::move(r.shard_iterator));
          break;
        }
        case step::get_records: {
          get_records_request g;
          g.shard_iterator = st_.iterator;
          g.limit = opt.batch_limit;
          ++st.polls;
          auto [ec, r] = co_await s.get_records(g, tuple_token);
          if (ec == service_errc::expired_iterator) {
            ++st.expired_iterators;
            book.on_iterator_expired(st_.shard_id);
            break;
          }
          if (ec && absorbed(ec, st_.shard_id)) break;
          if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
          book.on_records(st_.shard_id, r.records, std::move(r.next_shard_iterator));
          if (r.records.empty()) break;
          ++st.batches;
          st.records += r.records.size();
          batch b;
          b.shard_id = st_.shard_id;
          b.records = std::move(r.records);
          b.diag = std::move(r.diag);
          co_return b;
        }
        case step::idle: {
          asio::steady_timer t(db.get_executor(), opt.idle_wait);
          co_await t.async_wait(asio::use_awaitable);
          co_return batch{};
        }
      }
    }
  }
};

}  // namespace detail

consumer::consumer(client& streams, ddb::client& db, consumer_options options)
    : impl_(std::make_shared<detail::consumer_impl>(streams, db, std::move(options))) {}
consumer::~consumer() = default;
consumer::consumer(consumer&&) noexcept = default;
consumer& consumer::operator=(consumer&&) noexcept = default;

asio::any_io_executor consumer::executor() const { return impl_->db.get_executor(); }
const std::string& consumer::stream_arn() const noexcept { return impl_->arn; }

consumer_stats consumer::stats() const {
  consumer_stats out = impl_->st;
  out.trimmed = impl_->book.trimmed();
  out.shards = impl_->book.known_shards();
  out.finished_shards = impl_->book.finished_shards();
  return out;
}

asio::awaitable<batch> consumer::next_impl(std::shared_ptr<detail::consumer_impl> impl) {
  co_return co_await impl->next();  // impl lives until the call completes
}

asio::awaitable<void> consumer::commit_impl(std::shared_ptr<detail::consumer_impl> impl) {
  co_await impl->start();
  co_await impl->save();
}

}  // namespace ddb::streams
