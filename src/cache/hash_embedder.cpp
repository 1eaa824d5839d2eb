// A model-free embedder: feature hashing of character trigrams and words.
// Deterministic on every platform (FNV-1a 64 over UTF-8 bytes), so a demo or
// a test gets the same vectors everywhere; similar wording gives similar
// vectors, which is all a cache demo needs.
#include <boost/asio/post.hpp>

#include <cmath>

#include "ddb/cache.hpp"
#include "ddb/error.hpp"

namespace ddb::cache {
namespace {

std::uint64_t fnv1a(std::string_view prefix, std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::string_view part : {prefix, s})
    for (unsigned char c : part) {
      h ^= c;
      h *= 0x100000001b3ull;
    }
  return h;
}

// Byte offsets of the code points of s (plus the end).
std::vector<std::size_t> code_point_starts(std::string_view s) {
  std::vector<std::size_t> at;
  for (std::size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) at.push_back(i);
  at.push_back(s.size());
  return at;
}

}  // namespace

hash_embedder::hash_embedder(std::size_t dim) : dim_(dim) {
  if (dim == 0 || dim > 4096) throw ddb::error(fail(errc::invalid_config, "hash_embedder: dim must be 1 to 4096"));
}

std::string hash_embedder::fingerprint() const { return "hash-ngram:v1:" + std::to_string(dim_); }

std::vector<float> hash_embedder::embed(std::string_view text) const {
  std::vector<float> v(dim_, 0.0f);
  auto add = [&](std::string_view prefix, std::string_view feature) {
    const std::uint64_t h = fnv1a(prefix, feature);
    v[h % dim_] += (h >> 63) ? -1.0f : 1.0f;
  };
  const std::string padded = " " + std::string(text) + " ";
  const auto at = code_point_starts(padded);
  for (std::size_t i = 0; i + 3 < at.size(); ++i) add("c:", std::string_view(padded).substr(at[i], at[i + 3] - at[i]));
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find(' ', start), text.size());
    if (end > start) add("w:", text.substr(start, end - start));
    start = end + 1;
  }
  double norm = 0;
  for (float x : v) norm += double(x) * x;
  if (norm == 0) {
    v[0] = 1.0f;  // empty text: a fixed direction rather than no direction
    return v;
  }
  const float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (float& x : v) x *= inv;
  return v;
}

void hash_embedder::async_embed(boost::asio::any_io_executor ex, std::string text, embed_handler handler) {
  // Microseconds of work: computed here, delivered through the executor (never inline).
  std::vector<float> v = embed(text);
  boost::asio::post(ex, [h = std::move(handler), v = std::move(v)]() mutable { std::move(h)(nullptr, std::move(v)); });
}

}  // namespace ddb::cache
