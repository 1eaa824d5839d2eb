#pragma once
// Storage and search internals of ddb::vec (pure code: no threads, no I/O).
//
// Rows live in chunks of `rows_per_chunk` (a power of two) rows; a chunk is
// one 64-byte aligned block that never moves. Snapshots share chunks with
// the index; the index writes into a chunk that a snapshot may read only
// where the snapshot cannot look (rows past what it saw), and copies the
// chunk first otherwise (copy on write). use_count() is only read on the
// owner's thread, where a stale value can only be too high (an extra copy).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "ddb/vec/index.hpp"
#include "vec/kernels.hpp"

namespace ddb::vec::detail {

struct aligned_free {
  void operator()(void* p) const noexcept { std::free(p); }
};
using aligned_bytes = std::unique_ptr<std::byte[], aligned_free>;
aligned_bytes allocate_aligned(std::size_t bytes);

struct layout {
  std::size_t dim = 0;
  std::size_t padded = 0;     // elements per row, a multiple of 32 bytes' worth
  std::size_t row_bytes = 0;  // padded * element size (the scanned copy)
  std::size_t rows_per_chunk = 0;
  unsigned chunk_shift = 0;
  element_type type = element_type::f32;

  static layout make(std::size_t dim, element_type type);
};

struct chunk {
  explicit chunk(const layout& l);
  chunk(const chunk& other, const layout& l);  // deep copy

  aligned_bytes data;   // rows_per_chunk * row_bytes: f32, f16 or i8 elements
  aligned_bytes exact;  // i8 only: rows_per_chunk * padded floats, for re-scoring
  std::vector<std::uint64_t> ids;
  std::vector<std::uint32_t> tags;
  std::vector<float> scale;  // i8: element = scale * stored int8
  std::vector<float> l1;     // i8: sum of |scale * stored int8| (for the error bound)
  std::size_t seen = 0;      // rows a snapshot may read (owner's thread only)
  std::size_t bytes = 0;

  const float* f32_row(const layout& l, std::size_t i) const {
    return reinterpret_cast<const float*>(data.get() + i * l.row_bytes);
  }
  const float* exact_row(const layout& l, std::size_t i) const {
    return reinterpret_cast<const float*>(exact.get() + i * l.padded * sizeof(float));
  }
};

struct snapshot {
  layout lay;
  std::vector<std::shared_ptr<const chunk>> chunks;
  std::size_t size = 0;
};

// A query normalized, padded, and (for i8) quantized.
struct prepared_query {
  std::vector<float> f32;  // padded
  std::vector<std::int8_t> i8;       // i8 only: element = i8_scale * value
  std::vector<std::uint8_t> i8_abs;  // |i8|
  float i8_scale = 0;
  float l1 = 0;  // sum |f32|
};

// Validates and L2-normalizes v into out[0, dim) (padding zeroed). `what`
// names the vector in errors ("query", "vector for id 7").
void normalize_into(std::span<const float> v, const layout& l, float* out, const char* what);
prepared_query prepare_query(std::span<const float> q, const layout& l, const char* what = "query");

struct hit {
  float score;
  std::size_t row;
};
// Best first: higher score, then lower row.
inline bool better(const hit& a, const hit& b) noexcept {
  return a.score > b.score || (a.score == b.score && a.row < b.row);
}

// The best k hits seen so far (a heap whose top is the worst kept).
class top_k {
 public:
  top_k(std::size_t k, float min_score) : k_(k), min_(min_score), threshold_(min_score) { heap_.reserve(k); }
  // Scores below this cannot enter.
  float threshold() const noexcept { return threshold_; }
  void push(hit h);
  std::vector<hit> take_sorted();
  std::size_t size() const noexcept { return heap_.size(); }

 private:
  std::size_t k_;
  float min_;
  float threshold_;
  std::vector<hit> heap_;
};

// Searches rows [begin, end) of the snapshot for each query; results[j] gets
// query j's best hits in that range, sorted.
void search_range(const snapshot& s, const kernel_table& k, const std::vector<prepared_query>& queries,
                  const search_options& opt, std::size_t begin, std::size_t end, std::vector<std::vector<hit>>& results);

// Merges per-range results (each sorted) into the k best, with ids and tags.
matches finish(const snapshot& s, std::vector<std::vector<hit>> parts, std::size_t k);

void check_search_options(const search_options& opt);

struct index_access {
  static std::shared_ptr<const snapshot> take_snapshot(const index& i) { return i.snapshot(); }
};

}  // namespace ddb::vec::detail
