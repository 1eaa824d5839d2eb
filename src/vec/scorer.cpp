// A search is a job split into parts (contiguous row ranges), each posted to
// the pool; the last part to finish merges and dispatches the completion to
// the handler's executor, which the job keeps busy (outstanding work) so
// that an io_context with nothing else to do does not return meanwhile.
// Jobs hold their snapshot and executor, never the scorer: a scorer may be
// destroyed while its searches complete (its own pool is joined first).
#include "ddb/vec/scorer.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <thread>

#include "vec/store.hpp"

namespace ddb::vec {
namespace asio = boost::asio;

namespace detail {

struct scorer_impl {
  asio::any_io_executor loop;
  index* idx;
  std::unique_ptr<asio::thread_pool> own;
  asio::thread_pool* pool;
  std::size_t parts;
  bool stopped = false;  // the scorer is gone: its own pool runs nothing more
};

namespace {

constexpr std::size_t min_rows_per_part = 16384;
// Searches that scan at most this many bytes run on the calling thread (a
// few microseconds; the pool round trip costs more).
constexpr std::size_t inline_bytes = 256 * 1024;

template <class Handler, class Result>
void complete_on_handler_executor(const asio::any_io_executor& loop, Handler&& h, std::exception_ptr e, Result r) {
  auto ex = asio::get_associated_executor(h, loop);
  asio::dispatch(ex, [h = std::forward<Handler>(h), e, r = std::move(r)]() mutable { std::move(h)(e, std::move(r)); });
}

template <class Handler>
struct job {
  job(std::shared_ptr<const snapshot> s, std::vector<prepared_query> q, search_options o, std::size_t parts,
      Handler h, const asio::any_io_executor& loop)
      : snap(std::move(s)),
        queries(std::move(q)),
        opt(std::move(o)),
        partial(parts),
        errors(parts),
        remaining(parts),
        handler(std::move(h)),
        work(asio::prefer(asio::get_associated_executor(handler, loop), asio::execution::outstanding_work.tracked)) {}

  std::shared_ptr<const snapshot> snap;
  std::vector<prepared_query> queries;
  search_options opt;
  std::vector<std::vector<std::vector<hit>>> partial;  // [part][query]
  std::vector<std::exception_ptr> errors;
  std::atomic<std::size_t> remaining;
  Handler handler;
  decltype(asio::prefer(std::declval<asio::associated_executor_t<Handler, asio::any_io_executor>>(),
                        asio::execution::outstanding_work.tracked)) work;

  void run_part(std::size_t p) {
    const std::size_t n = partial.size();
    const std::size_t begin = snap->size * p / n, end = snap->size * (p + 1) / n;
    try {
      search_range(*snap, kernels(), queries, opt, begin, end, partial[p]);
    } catch (...) {
      errors[p] = std::current_exception();
    }
  }

  // The merged results, or the first part's error.
  std::pair<std::exception_ptr, std::vector<matches>> merge() {
    for (auto& e : errors)
      if (e) return {e, {}};
    std::vector<matches> out(queries.size());
    try {
      for (std::size_t j = 0; j < queries.size(); ++j) {
        std::vector<std::vector<hit>> per_part;
        for (auto& p : partial) per_part.push_back(std::move(p[j]));
        out[j] = finish(*snap, std::move(per_part), opt.k);
      }
    } catch (...) {
      return {std::current_exception(), {}};
    }
    return {nullptr, std::move(out)};
  }
};

template <class Handler, class Adapt>
void start(const std::shared_ptr<scorer_impl>& impl, std::vector<float> queries, std::size_t count,
           search_options opt, Handler handler, Adapt adapt) {
  std::shared_ptr<const snapshot> snap;
  std::vector<prepared_query> prepared;
  try {
    if (impl->stopped)
      throw error(errc::invalid_argument, "ddb::vec: the scorer was destroyed before this search started");
    check_search_options(opt);
    const std::size_t dim = impl->idx->dim();
    if (count == 0 || queries.size() != count * dim)
      throw error(errc::dimension_mismatch, "ddb::vec: the search got " + std::to_string(queries.size()) +
                                                " floats for " + std::to_string(count) + " queries of dimension " +
                                                std::to_string(dim) + "; pass count * dim() floats, count >= 1");
    snap = index_access::take_snapshot(*impl->idx);
    for (std::size_t j = 0; j < count; ++j) {
      const std::string what = count == 1 ? "query" : "query " + std::to_string(j);
      prepared.push_back(prepare_query(std::span<const float>(queries).subspan(j * dim, dim), snap->lay, what.c_str()));
    }
  } catch (...) {
    // Never complete inside the initiating call.
    asio::post(impl->loop, [loop = impl->loop, h = std::move(handler), e = std::current_exception(), adapt]() mutable {
      complete_on_handler_executor(loop, std::move(h), e, adapt(std::vector<matches>{}));
    });
    return;
  }
  const std::size_t parts = std::clamp<std::size_t>(snap->size / min_rows_per_part, 1, impl->parts);
  const bool small = snap->size * snap->lay.row_bytes * count <= inline_bytes;
  auto j = std::make_shared<job<Handler>>(std::move(snap), std::move(prepared), std::move(opt), small ? 1 : parts,
                                          std::move(handler), impl->loop);
  auto complete = [adapt](const std::shared_ptr<job<Handler>>& j) {
    auto [e, r] = j->merge();
    auto h = std::move(j->handler);
    auto work = std::move(j->work);
    asio::dispatch(work, [h = std::move(h), e = e, r = adapt(std::move(r))]() mutable { std::move(h)(e, std::move(r)); });
  };
  if (small) {
    // A few microseconds of scoring: cheaper here than a hop to the pool and
    // back. Still completed through the loop, never inside this call.
    j->run_part(0);
    asio::post(impl->loop, [j, complete] { complete(j); });
    return;
  }
  auto finish_part = [complete](const std::shared_ptr<job<Handler>>& j) {
    if (j->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) complete(j);
  };
  std::size_t posted = 0;
  try {
    for (; posted < j->partial.size(); ++posted)
      asio::post(*impl->pool, [j, p = posted, finish_part] {
        j->run_part(p);
        finish_part(j);
      });
  } catch (...) {
    // Parts that could not be posted fail; the last part to end completes.
    const auto e = std::current_exception();
    for (std::size_t p = posted; p < j->partial.size(); ++p) {
      j->errors[p] = e;
      finish_part(j);
    }
  }
}

}  // namespace

void start_search(const std::shared_ptr<scorer_impl>& impl, std::vector<float> query, search_options opt,
                  one_handler handler) {
  start(impl, std::move(query), 1, std::move(opt), std::move(handler),
        [](std::vector<matches> r) { return r.empty() ? matches{} : std::move(r.front()); });
}

void start_search_batch(const std::shared_ptr<scorer_impl>& impl, std::vector<float> queries, std::size_t count,
                        search_options opt, batch_handler handler) {
  start(impl, std::move(queries), count, std::move(opt), std::move(handler), [](std::vector<matches> r) { return r; });
}

}  // namespace detail

scorer::scorer(asio::any_io_executor loop, index& idx, std::size_t threads)
    : impl_(std::make_shared<detail::scorer_impl>()) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  impl_->loop = std::move(loop);
  impl_->idx = &idx;
  impl_->own = std::make_unique<asio::thread_pool>(threads);
  impl_->pool = impl_->own.get();
  impl_->parts = threads;
}

scorer::scorer(asio::any_io_executor loop, index& idx, asio::thread_pool& pool, std::size_t parts)
    : impl_(std::make_shared<detail::scorer_impl>()) {
  impl_->loop = std::move(loop);
  impl_->idx = &idx;
  impl_->pool = &pool;
  impl_->parts = std::max<std::size_t>(1, parts);
}

scorer::~scorer() {
  impl_->stopped = true;  // a deferred search started later completes with an error
  if (impl_->own) impl_->own->join();
}

index& scorer::target() noexcept { return *impl_->idx; }
std::size_t scorer::parts() const noexcept { return impl_->parts; }

}  // namespace ddb::vec
