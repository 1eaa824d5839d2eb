// CPU cost of the sans-io core on the request path, each beside the floor
// that bounds it, measured in the same run:
//   sign a GetItem (whole HTTP request)  vs  the SHA-256 work SigV4 cannot avoid
//   decode a GetItem item into values    vs  simdjson walking the same JSON
//   encode an item                       (absolute, and bytes/s)
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <simdjson.h>

#include <time.h>

#include <algorithm>
#include <chrono>

#include "ddb/core/json.hpp"
#include "ddb/core/sigv4.hpp"
#include "ddb/detail/operations.hpp"
#include "core/http_response.hpp"
#include "model/codec.hpp"
#include "bench_items.hpp"

namespace {

using bench::query_page;
using bench::typical_item;

const std::string get_item_body = R"({"TableName":"users","Key":{"pk":{"S":"user#12345"}},"ConsistentRead":true})";


void sign_get_item(benchmark::State& state) {
  ddb::sigv4::signer signer({"AKIDEXAMPLE", ddb::secret_string("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), {}},
                            "us-east-1", "dynamodb");
  std::string out;
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    out.clear();
    signer.write_dynamodb_request(out, "dynamodb.us-east-1.amazonaws.com", "GetItem", get_item_body, now);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["request_bytes"] = static_cast<double>(out.size());
}
BENCHMARK(sign_get_item);

// The floor: the SHA-256 work SigV4 cannot avoid, on one reused context:
// the body, a canonical request (~330 bytes), a string to sign (~150 bytes),
// and the HMAC's inner and outer digests past the cached key blocks.
void sha256_floor(benchmark::State& state) {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const std::string canonical(330, 'c'), to_sign(150, 's'), inner_hash(32, 'h');
  unsigned char d[32];
  unsigned int len = 0;
  for (auto _ : state) {
    for (const std::string* s : {&get_item_body, &canonical, &to_sign, &inner_hash}) {
      EVP_DigestInit_ex2(ctx, md, nullptr);
      EVP_DigestUpdate(ctx, s->data(), s->size());
      EVP_DigestFinal_ex(ctx, d, &len);
      benchmark::DoNotOptimize(d);
    }
  }
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
}
BENCHMARK(sha256_floor);

void encode_item(benchmark::State& state) {
  const ddb::item it = typical_item();
  std::string out;
  for (auto _ : state) {
    out.clear();
    ddb::json::writer w(out);
    (void)ddb::json::write_item(w, it);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}
BENCHMARK(encode_item);

void decode_item(benchmark::State& state) {
  const std::string text = ddb::json::to_json(typical_item());
  for (auto _ : state) {
    auto it = ddb::json::parse_item(text);
    benchmark::DoNotOptimize(it);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(decode_item);

// The floor: simdjson visiting every key and scalar of the same JSON,
// building nothing (same padded copy as the reader makes).
std::size_t walk(simdjson::ondemand::value v) {
  std::size_t n = 0;
  switch (v.type()) {
    case simdjson::ondemand::json_type::object:
      for (auto f : v.get_object()) {
        n += f.unescaped_key().value().size();
        n += walk(f.value());
      }
      break;
    case simdjson::ondemand::json_type::array:
      for (auto e : v.get_array()) n += walk(e.value());
      break;
    case simdjson::ondemand::json_type::string: n += v.get_string().value().size(); break;
    default: n += v.raw_json_token().size(); break;
  }
  return n;
}

// simdjson walking `text` once, from the same kind of padded copy the reader makes.
void walk_once(simdjson::ondemand::parser& parser, std::string& buffer, const std::string& text) {
  buffer.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  buffer.assign(text);
  auto doc = parser.iterate(simdjson::padded_string_view(buffer.data(), buffer.size(), buffer.capacity()));
  benchmark::DoNotOptimize(walk(doc.get_value().value()));
}

void walk_floor(benchmark::State& state, const std::string& text) {
  simdjson::ondemand::parser parser;
  std::string buffer;
  for (auto _ : state) walk_once(parser, buffer, text);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void simdjson_walk_floor(benchmark::State& state) { walk_floor(state, ddb::json::to_json(typical_item())); }
BENCHMARK(simdjson_walk_floor);


// The page with simdjson's padding as spare capacity, as the client's
// response bodies have it: parsed in place.
std::string padded_query_page() {
  std::string page = query_page();
  page.reserve(page.size() + simdjson::SIMDJSON_PADDING);
  return page;
}

// Decodes the page into the typed response once; the result is freed too.
void decode_once(benchmark::State& state, const std::string& page) {
  auto r = ddb::detail::decode<ddb::query_response>(page);
  if (!r || r->items.size() != 1000) state.SkipWithError("decode failed");
  benchmark::DoNotOptimize(r);
}

void decode_query_page(benchmark::State& state) {
  const std::string page = padded_query_page();
  for (auto _ : state) decode_once(state, page);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * page.size()));
  state.counters["page_bytes"] = static_cast<double>(page.size());
}
BENCHMARK(decode_query_page)->Unit(benchmark::kMicrosecond);

void simdjson_walk_query_page_floor(benchmark::State& state) { walk_floor(state, query_page()); }
BENCHMARK(simdjson_walk_query_page_floor)->Unit(benchmark::kMicrosecond);

// The two above, interleaved page by page, each timed on the thread's CPU
// clock: the minimum of each over many pages is what the code costs when no
// neighbour on the shared host is stealing the cache or the core, and the two
// minima come from the same minutes. Reported as counters (microseconds).
double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

void decode_query_page_paired(benchmark::State& state) {
  const std::string page = padded_query_page();
  simdjson::ondemand::parser parser;
  std::string buffer;
  double best_decode = 1e18, best_walk = 1e18;
  for (auto _ : state) {
    const double t0 = thread_cpu_us();
    decode_once(state, page);
    const double t1 = thread_cpu_us();
    walk_once(parser, buffer, page);
    const double t2 = thread_cpu_us();
    best_decode = std::min(best_decode, t1 - t0);
    best_walk = std::min(best_walk, t2 - t1);
  }
  state.counters["decode_min_us"] = best_decode;
  state.counters["floor_min_us"] = best_walk;
  state.counters["ratio"] = best_decode / best_walk;
  state.counters["decode_MBps"] = static_cast<double>(page.size()) / best_decode;
}
BENCHMARK(decode_query_page_paired)->Unit(benchmark::kMicrosecond)->Iterations(2000);

}  // namespace

// A 16 KB response header arriving `step` bytes per read (a slow or hostile
// server), parsed as the transport parses it: each read feeds what is not
// consumed yet. Linear when the parser resumes where it stopped; a parser
// that re-reads the block on every read costs (size / step) times the block.
void parse_trickled_header(benchmark::State& state) {
  const auto step = static_cast<std::size_t>(state.range(0));
  std::string text = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; text.size() < 16 * 1024 - 200; ++i) text += "X-Header-" + std::to_string(i) + ": some value of a header\r\n";
  text += "Content-Length: 2\r\n\r\n{}";
  std::string buffer;
  for (auto _ : state) {
    ddb::detail::response_parser p(1 << 20);
    buffer.clear();
    std::size_t fed = 0;
    auto r = ddb::detail::response_parser::result::need_more;
    while (fed < text.size() && r == ddb::detail::response_parser::result::need_more) {
      const std::size_t n = std::min(step, text.size() - fed);
      buffer.append(text, fed, n);
      fed += n;
      std::size_t used = 0;
      r = p.feed(buffer, used);
      buffer.erase(0, used);
    }
    benchmark::DoNotOptimize(r);
  }
  state.counters["header_bytes"] = static_cast<double>(text.size() - 2);
}
BENCHMARK(parse_trickled_header)->Arg(16384)->Arg(64)->Arg(4)->Arg(1)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
