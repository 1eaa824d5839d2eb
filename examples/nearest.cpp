// ddb::vec on its own: store a few embeddings, then find the nearest ones
// from a coroutine while the scoring runs on a thread pool.
//
//   build/examples/nearest
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include <cstdio>
#include <random>

#include "ddb/vec/scorer.hpp"

namespace asio = boost::asio;

asio::awaitable<void> run(ddb::vec::scorer& scorer, std::vector<float> query) {
  try {
    // Named options: GCC 12 mishandles temporaries inside a co_await expression.
    const ddb::vec::search_options opt{.k = 3, .min_score = 0.1f};
    const ddb::vec::matches best = co_await scorer.search(query, opt);
    for (const auto& m : best) std::printf("id %llu  cosine %.4f\n", static_cast<unsigned long long>(m.id), m.score);
  } catch (const ddb::vec::error& e) {
    std::fprintf(stderr, "search failed: %s\n", e.what());
  }
}

int main() {
  const std::size_t dim = 384;
  ddb::vec::index idx({.dim = dim, .type = ddb::vec::element_type::i8});  // exact results, a quarter of the scan
  std::mt19937 rng(42);
  std::normal_distribution<float> g;
  std::vector<float> v(dim), query;
  for (std::uint64_t id = 1; id <= 100000; ++id) {
    for (auto& x : v) x = g(rng);
    idx.add(id, v);
    if (id == 777) query = v;  // search for a stored vector, slightly perturbed
  }
  for (auto& x : query) x += 0.3f * g(rng);

  asio::io_context io;
  ddb::vec::scorer scorer(io.get_executor(), idx, 2);
  asio::co_spawn(io, run(scorer, query), asio::detached);
  io.run();
  std::printf("kernels: %s, %zu vectors, %.1f MB\n", ddb::vec::index::kernel_name(), idx.size(),
              idx.memory_bytes() / 1e6);
}
