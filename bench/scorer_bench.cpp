// scorer_bench: the ddb::vec scorer against this machine's own limits,
// measured in the same run: memory read bandwidth (a plain AVX2 sum over a
// buffer far larger than the last-level cache) and FMA peak (independent
// FMA chains in registers), both with the same number of threads.
//
//   scorer_bench --n 1000000 --dim 384 --queries 1 --k 10 --type f32 --threads 1
//
// Prints one JSON object per line (see bench/README.md).
#include <boost/asio/io_context.hpp>
#include <immintrin.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ddb/vec/index.hpp"
#include "ddb/vec/scorer.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

struct args {
  std::size_t n = 1000000, dim = 384, queries = 1, k = 10, threads = 1, repeat = 0;
  ddb::vec::element_type type = ddb::vec::element_type::f32;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "scorer_bench: %s\nusage: scorer_bench [--n N] [--dim D] [--queries Q] [--k K] "
               "[--type f32|f16|i8] [--threads T] [--repeat R]\n",
               why);
  std::exit(2);
}

args parse(int argc, char** argv) {
  args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage(("missing value after " + flag).c_str());
    const std::string v = argv[++i];
    char* end = nullptr;
    const unsigned long long num = std::strtoull(v.c_str(), &end, 10);
    const bool numeric = end && *end == 0 && !v.empty();
    if (flag == "--type") {
      if (v == "f32") a.type = ddb::vec::element_type::f32;
      else if (v == "f16") a.type = ddb::vec::element_type::f16;
      else if (v == "i8") a.type = ddb::vec::element_type::i8;
      else usage("--type must be f32, f16 or i8");
      continue;
    }
    if (!numeric) usage((flag + " needs a number").c_str());
    if (flag == "--n") a.n = num;
    else if (flag == "--dim") a.dim = num;
    else if (flag == "--queries") a.queries = num;
    else if (flag == "--k") a.k = num;
    else if (flag == "--threads") a.threads = num;
    else if (flag == "--repeat") a.repeat = num;
    else usage(("unknown flag " + flag).c_str());
  }
  if (a.n == 0 || a.queries == 0 || a.threads == 0) usage("--n, --queries and --threads must be at least 1");
  return a;
}

// Runs f(t) on `threads` threads at once; returns the wall time.
template <class F>
double on_threads(std::size_t threads, F f) {
  std::vector<std::thread> ts;
  std::atomic<std::size_t> ready{0};
  std::atomic<bool> go{false};
  clock_type::time_point start;
  for (std::size_t t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      ++ready;
      while (!go.load()) {
      }
      f(t);
    });
  while (ready.load() != threads) {
  }
  start = clock_type::now();
  go = true;
  for (auto& t : ts) t.join();
  return seconds_since(start);
}

__attribute__((target("avx2"))) float sum_avx2(const float* p, std::size_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (std::size_t i = 0; i < n; i += 32) {
    a0 = _mm256_add_ps(a0, _mm256_load_ps(p + i));
    a1 = _mm256_add_ps(a1, _mm256_load_ps(p + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_load_ps(p + i + 16));
    a3 = _mm256_add_ps(a3, _mm256_load_ps(p + i + 24));
  }
  const __m256 s = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

// The read-bandwidth probe: one pass over a 1 GiB buffer (32x this
// machine's L3), split between the threads.
struct bandwidth_probe {
  static constexpr std::size_t bytes = std::size_t{1} << 30, n = bytes / sizeof(float);
  float* buf = static_cast<float*>(std::aligned_alloc(std::size_t{2} << 20, bytes));
  bandwidth_probe() {
    ::madvise(buf, bytes, MADV_HUGEPAGE);  // as the index's blocks
    for (std::size_t i = 0; i < n; ++i) buf[i] = 1.0f;  // fault the pages in
  }
  ~bandwidth_probe() { std::free(buf); }
  double pass_gbps(std::size_t threads) {
    std::vector<float> sums(threads);
    const double t = on_threads(threads, [&](std::size_t i) {
      const std::size_t per = n / threads / 32 * 32;
      sums[i] = sum_avx2(buf + i * per, per);
    });
    for (float s : sums) sink = sink + s;
    return static_cast<double>(n / threads / 32 * 32 * threads * sizeof(float)) / t / 1e9;
  }
  volatile float sink = 0;
};

__attribute__((target("avx2,fma"))) float fma_chains(std::size_t iterations) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (std::size_t it = 0; it < iterations; ++it)
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, c);
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0];
}

double fma_peak_gflops(std::size_t threads) {
  const std::size_t iterations = 10'000'000;
  std::vector<float> r(threads);
  const double t = on_threads(threads, [&](std::size_t i) { r[i] = fma_chains(iterations); });
  static volatile float sink = 0;
  for (float x : r) sink = sink + x;
  return static_cast<double>(threads * iterations * 12 * 16) / t / 1e9;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::size_t element_bytes(ddb::vec::element_type t) {
  return t == ddb::vec::element_type::f32 ? 4 : t == ddb::vec::element_type::f16 ? 2 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const args a = parse(argc, argv);
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    std::fprintf(stderr, "scorer_bench: this CPU has no AVX2/FMA; the limits probes need them\n");
    return 1;
  }
  bandwidth_probe probe;

  ddb::vec::index idx({a.dim, a.type});
  {
    std::mt19937 rng(1);
    std::normal_distribution<float> g;
    std::vector<float> v(a.dim);
    for (std::size_t i = 0; i < a.n; ++i) {
      for (auto& x : v) x = g(rng);
      idx.add(i, v);
    }
  }
  std::vector<float> queries(a.queries * a.dim);
  {
    std::mt19937 rng(2);
    std::normal_distribution<float> g;
    for (auto& x : queries) x = g(rng);
  }

  boost::asio::io_context io;
  ddb::vec::scorer s(io.get_executor(), idx, a.threads);
  const ddb::vec::search_options opt{.k = std::min(a.k, ddb::vec::max_k)};
  const std::size_t bytes_per_search = a.n * ((a.dim + 32 / element_bytes(a.type) - 1) / (32 / element_bytes(a.type))) * 32;
  const std::size_t repeat = a.repeat ? a.repeat : std::clamp<std::size_t>(std::size_t(20e9 / double(bytes_per_search)), 5, 200);

  // Each search is timed between a bandwidth pass and an FMA pass, and
  // compared with them: the machine is shared, and the pairwise ratios are
  // far steadier than figures taken minutes apart.
  std::vector<double> times, bw, flops, bw_ratio, flops_ratio;
  std::size_t results = 0;
  for (std::size_t r = 0; r <= repeat; ++r) {  // the first round warms up
    const double limit_bw = probe.pass_gbps(a.threads);
    const auto t0 = clock_type::now();
    s.search_batch(queries, a.queries, opt, [&](std::exception_ptr e, std::vector<ddb::vec::matches> m) {
      if (e) std::rethrow_exception(e);
      results = m.front().size();
    });
    io.restart();
    io.run();
    const double t = seconds_since(t0);
    const double limit_fl = fma_peak_gflops(a.threads);
    if (!r) continue;
    times.push_back(t);
    bw.push_back(limit_bw);
    flops.push_back(limit_fl);
    bw_ratio.push_back(double(bytes_per_search) / t / 1e9 / limit_bw);
    flops_ratio.push_back(2.0 * double(a.n) * double(a.dim) * double(a.queries) / t / 1e9 / limit_fl);
  }
  const double t = median(times);
  const double gbps = static_cast<double>(bytes_per_search) / t / 1e9;
  const double gflops = 2.0 * double(a.n) * double(a.dim) * double(a.queries) / t / 1e9;
  const double limit_gbps = median(bw), limit_gflops = median(flops);
  std::printf(
      "{\"type\":\"%s\",\"kernel\":\"%s\",\"n\":%zu,\"dim\":%zu,\"queries\":%zu,\"k\":%zu,\"threads\":%zu,"
      "\"repeat\":%zu,\"results\":%zu,\"seconds_per_search\":%.6f,\"vectors_per_second\":%.4g,\"gbps\":%.2f,"
      "\"gflops\":%.2f,\"limit_gbps\":%.2f,\"limit_gflops\":%.2f,\"fraction_of_bandwidth\":%.3f,"
      "\"fraction_of_fma_peak\":%.3f}\n",
      ddb::vec::to_string(a.type), ddb::vec::index::kernel_name(), a.n, a.dim, a.queries, opt.k, a.threads, repeat,
      results, t, double(a.n) * double(a.queries) / t, gbps, gflops, limit_gbps, limit_gflops, median(bw_ratio),
      median(flops_ratio));
  return 0;
}
