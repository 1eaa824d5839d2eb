#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>

#include <sys/mman.h>

#include "vec/store.hpp"

namespace ddb::vec {

namespace {
class vec_category : public std::error_category {
 public:
  const char* name() const noexcept override { return "ddb.vec"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::invalid_dimension: return "dimension outside [1, 4096]";
      case errc::dimension_mismatch: return "vector length differs from the index's dimension";
      case errc::not_finite: return "vector holds NaN or infinity";
      case errc::zero_vector: return "all-zero vector cannot be normalized";
      case errc::invalid_k: return "k outside [1, 1000]";
      case errc::duplicate_id: return "id already stored";
      case errc::unknown_id: return "id not stored";
      case errc::invalid_argument: return "invalid argument";
    }
    return "unknown ddb.vec error";
  }
};
}  // namespace

const std::error_category& category() noexcept {
  static const vec_category c;
  return c;
}
std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

const char* to_string(element_type t) noexcept {
  switch (t) {
    case element_type::f32: return "f32";
    case element_type::f16: return "f16";
    case element_type::i8: return "i8";
  }
  return "?";
}

namespace detail {

aligned_bytes allocate_aligned(std::size_t bytes) {
  // Blocks of 2 MiB and more get transparent huge pages where the system
  // allows them on request: a scan then takes a TLB miss every 2 MiB, not
  // every 4 KiB.
  constexpr std::size_t huge = std::size_t{2} << 20;
  const std::size_t align = bytes >= huge ? huge : 64;
  bytes = std::max<std::size_t>(align, (bytes + align - 1) / align * align);
  void* p = std::aligned_alloc(align, bytes);
  if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  if (align == huge) ::madvise(p, bytes, MADV_HUGEPAGE);  // advice only: failure changes nothing
#endif
  return aligned_bytes(static_cast<std::byte*>(p));
}

namespace {
std::size_t element_size(element_type t) { return t == element_type::f32 ? 4 : t == element_type::f16 ? 2 : 1; }
}  // namespace

layout layout::make(std::size_t dim, element_type type) {
  if (dim < 1 || dim > max_dim)
    throw error(errc::invalid_dimension,
                "ddb::vec: dimension " + std::to_string(dim) + " is outside [1, 4096]; pass the embedding model's size");
  layout l;
  l.dim = dim;
  l.type = type;
  const std::size_t granule = 32 / element_size(type);
  l.padded = (dim + granule - 1) / granule * granule;
  l.row_bytes = l.padded * element_size(type);
  // 2-4 MiB of scanned rows per chunk: large enough for huge pages and for
  // snapshots to stay short lists, small enough that a copy on write is cheap.
  l.rows_per_chunk = std::clamp<std::size_t>(std::bit_floor((std::size_t{4} << 20) / l.row_bytes), 16, 16384);
  l.chunk_shift = static_cast<unsigned>(std::countr_zero(l.rows_per_chunk));
  return l;
}

chunk::chunk(const layout& l)
    : data(allocate_aligned(l.rows_per_chunk * l.row_bytes)),
      ids(l.rows_per_chunk),
      tags(l.rows_per_chunk) {
  bytes = l.rows_per_chunk * (l.row_bytes + sizeof(std::uint64_t) + sizeof(std::uint32_t));
  if (l.type == element_type::i8) {
    exact = allocate_aligned(l.rows_per_chunk * l.padded * sizeof(float));
    scale.resize(l.rows_per_chunk);
    this->l1.resize(l.rows_per_chunk);
    bytes += l.rows_per_chunk * (l.padded * sizeof(float) + 2 * sizeof(float));
  }
}

chunk::chunk(const chunk& other, const layout& l) : chunk(l) {
  std::memcpy(data.get(), other.data.get(), l.rows_per_chunk * l.row_bytes);
  if (exact) std::memcpy(exact.get(), other.exact.get(), l.rows_per_chunk * l.padded * sizeof(float));
  ids = other.ids;
  tags = other.tags;
  scale = other.scale;
  l1 = other.l1;
}

void normalize_into(std::span<const float> v, const layout& l, float* out, const char* what) {
  if (v.size() != l.dim)
    throw error(errc::dimension_mismatch, std::string("ddb::vec: the ") + what + " has " + std::to_string(v.size()) +
                                              " elements but the index stores " + std::to_string(l.dim) +
                                              "-dimensional vectors; use the same embedding model for both");
  double sum = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i]))
      throw error(errc::not_finite, std::string("ddb::vec: the ") + what + " holds " +
                                        (std::isnan(v[i]) ? "NaN" : "infinity") + " at element " + std::to_string(i) +
                                        "; check the embedding model's output");
    sum += static_cast<double>(v[i]) * v[i];
  }
  if (sum == 0)
    throw error(errc::zero_vector, std::string("ddb::vec: the ") + what +
                                       " is all zeros and has no direction to compare; embed non-empty text");
  const double inv = 1.0 / std::sqrt(sum);
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i] * inv);
  std::fill(out + v.size(), out + l.padded, 0.0f);
}

prepared_query prepare_query(std::span<const float> q, const layout& l, const char* what) {
  prepared_query p;
  p.f32.resize(l.padded);
  normalize_into(q, l, p.f32.data(), what);
  float l1 = 0, max_abs = 0;
  for (float x : p.f32) {
    l1 += std::fabs(x);
    max_abs = std::max(max_abs, std::fabs(x));
  }
  p.l1 = l1;
  if (l.type == element_type::i8) {
    p.i8_scale = max_abs / 127.0f;
    p.i8.resize(l.padded);
    p.i8_abs.resize(l.padded);
    for (std::size_t i = 0; i < l.padded; ++i) {
      p.i8[i] = static_cast<std::int8_t>(std::clamp(std::nearbyint(p.f32[i] / p.i8_scale), -127.0f, 127.0f));
      p.i8_abs[i] = static_cast<std::uint8_t>(std::abs(p.i8[i]));
    }
  }
  return p;
}

void top_k::push(hit h) {
  if (heap_.size() < k_) {
    heap_.push_back(h);
    std::push_heap(heap_.begin(), heap_.end(), better);
  } else {
    if (!better(h, heap_.front())) return;
    std::pop_heap(heap_.begin(), heap_.end(), better);
    heap_.back() = h;
    std::push_heap(heap_.begin(), heap_.end(), better);
  }
  if (heap_.size() == k_) threshold_ = std::max(min_, heap_.front().score);
}

std::vector<hit> top_k::take_sorted() {
  std::sort_heap(heap_.begin(), heap_.end(), better);
  return std::move(heap_);
}

void check_search_options(const search_options& opt) {
  if (opt.k < 1 || opt.k > max_k)
    throw error(errc::invalid_k, "ddb::vec: k = " + std::to_string(opt.k) + " is outside [1, 1000]");
  if (std::isnan(opt.min_score)) throw error(errc::invalid_argument, "ddb::vec: min_score is NaN; pass a number");
}

namespace {

constexpr std::size_t block_rows = 64;

bool admit(const chunk& c, std::size_t slot, const search_options& opt) {
  if (opt.tag && c.tags[slot] != *opt.tag) return false;
  return !opt.accept || opt.accept(c.ids[slot]);
}

void select(top_k& t, const float* scores, std::size_t n, const chunk& c, std::size_t slot, std::size_t row,
            const search_options& opt) {
  for (std::size_t i = 0; i < n; ++i) {
    if (scores[i] < t.threshold() || !admit(c, slot + i, opt)) continue;
    t.push({scores[i], row + i});
  }
}

// int8 scan state for one query. A row's true score lies within
// approx +- bound (quantization of the row and of the query; see index.hpp);
// `lower` keeps the k best lower bounds, and every row whose upper bound
// reaches the k-th of them is a candidate, re-scored exactly at the end.
struct i8_state {
  i8_state(std::size_t k) : lower(k, -std::numeric_limits<float>::infinity()) {}
  top_k lower;
  std::vector<hit> candidates;  // score = upper bound
  float cut(float min_score) const { return std::max(min_score, lower.threshold()); }
  void prune(float min_score) {
    const float c = cut(min_score);
    std::erase_if(candidates, [c](const hit& h) { return h.score < c; });
  }
};

void select_i8(i8_state& st, const prepared_query& q, const std::int32_t* dots, std::size_t n, const chunk& c,
               std::size_t slot, std::size_t row, const search_options& opt, float eps) {
  const float qs = q.i8_scale, ql1 = q.l1;
  float approx[block_rows], bound[block_rows];
  for (std::size_t i = 0; i < n; ++i) {  // straight-line: vectorized
    const float s = c.scale[slot + i];
    approx[i] = static_cast<float>(dots[i]) * s * qs;
    bound[i] = 0.5f * (s * ql1 + qs * c.l1[slot + i]) + eps;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (approx[i] + bound[i] < st.cut(opt.min_score) || !admit(c, slot + i, opt)) continue;
    st.lower.push({approx[i] - bound[i], row + i});
    st.candidates.push_back({approx[i] + bound[i], row + i});
  }
  if (st.candidates.size() > 4 * opt.k + 4096) st.prune(opt.min_score);
}

}  // namespace

void search_range(const snapshot& s, const kernel_table& k, const std::vector<prepared_query>& queries,
                  const search_options& opt, std::size_t begin, std::size_t end, std::vector<std::vector<hit>>& results) {
  const layout& l = s.lay;
  const std::size_t nq = queries.size();
  std::vector<top_k> tops(nq, top_k(opt.k, opt.min_score));
  std::vector<i8_state> i8(l.type == element_type::i8 ? nq : 0, i8_state(opt.k));
  std::vector<float> scores(block_rows * nq);
  std::vector<std::int32_t> dots(block_rows);
  std::vector<float> batch;  // f32, several queries: one contiguous block for the blocked kernel
  if (l.type == element_type::f32 && nq > 1) {
    batch.resize(nq * l.padded);
    for (std::size_t j = 0; j < nq; ++j) std::copy(queries[j].f32.begin(), queries[j].f32.end(), batch.data() + j * l.padded);
  }
  // Rounding in the float arithmetic on both sides of the int8 bound.
  const float eps = static_cast<float>(l.padded + 8) * 1.2e-7f;

  for (std::size_t row = begin; row < end;) {
    const std::size_t ci = row >> l.chunk_shift;
    const std::size_t slot = row & (l.rows_per_chunk - 1);
    const std::size_t n = std::min({end - row, l.rows_per_chunk - slot, block_rows});
    const chunk& c = *s.chunks[ci];
    const std::byte* rows = c.data.get() + slot * l.row_bytes;
    switch (l.type) {
      case element_type::f32: {
        const auto* r = reinterpret_cast<const float*>(rows);
        if (nq == 1)
          k.dot_f32(queries[0].f32.data(), r, l.padded, n, l.padded, scores.data());
        else
          k.dot_f32_batch(batch.data(), nq, r, l.padded, n, l.padded, scores.data());
        for (std::size_t j = 0; j < nq; ++j) select(tops[j], scores.data() + j * n, n, c, slot, row, opt);
        break;
      }
      case element_type::f16:
        for (std::size_t j = 0; j < nq; ++j) {
          k.dot_f16(queries[j].f32.data(), reinterpret_cast<const std::uint16_t*>(rows), l.padded, n, l.padded,
                    scores.data());
          select(tops[j], scores.data(), n, c, slot, row, opt);
        }
        break;
      case element_type::i8:
        for (std::size_t j = 0; j < nq; ++j) {
          k.dot_i8(queries[j].i8.data(), queries[j].i8_abs.data(), reinterpret_cast<const std::int8_t*>(rows), l.padded,
                   n, l.padded, dots.data());
          select_i8(i8[j], queries[j], dots.data(), n, c, slot, row, opt, eps);
        }
        break;
    }
    row += n;
  }

  for (std::size_t j = 0; j < i8.size(); ++j) {
    i8[j].prune(opt.min_score);
    for (const hit& h : i8[j].candidates) {
      const chunk& c = *s.chunks[h.row >> l.chunk_shift];
      float exact;  // with the arithmetic f32 uses in this mode (single query or batch)
      const float* row = c.exact_row(l, h.row & (l.rows_per_chunk - 1));
      if (nq == 1)
        k.dot_f32(queries[j].f32.data(), row, l.padded, 1, l.padded, &exact);
      else
        k.dot_f32_batch(queries[j].f32.data(), 1, row, l.padded, 1, l.padded, &exact);
      if (exact >= tops[j].threshold()) tops[j].push({exact, h.row});
    }
  }
  results.resize(nq);
  for (std::size_t j = 0; j < nq; ++j) results[j] = tops[j].take_sorted();
}

matches finish(const snapshot& s, std::vector<std::vector<hit>> parts, std::size_t k) {
  std::vector<hit> all;
  for (auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  const std::size_t n = std::min(k, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), better);
  matches out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const chunk& c = *s.chunks[all[i].row >> s.lay.chunk_shift];
    const std::size_t slot = all[i].row & (s.lay.rows_per_chunk - 1);
    out.push_back({c.ids[slot], all[i].score, c.tags[slot]});
  }
  return out;
}

struct index_impl {
  explicit index_impl(const index_options& o) : lay(layout::make(o.dim, o.type)), k(&kernels()) {
    scratch.resize(lay.padded);
  }

  layout lay;
  const kernel_table* k;
  std::vector<std::shared_ptr<chunk>> chunks;
  std::size_t size = 0;
  std::unordered_map<std::uint64_t, std::size_t> where;
  std::vector<float> scratch;

  // The chunk holding `row`, safe to write at that row: copied first if a
  // live snapshot may read that row.
  chunk& writable(std::size_t row) {
    const std::size_t ci = row >> lay.chunk_shift;
    if (ci == chunks.size()) chunks.push_back(std::make_shared<chunk>(lay));
    auto& c = chunks[ci];
    if ((row & (lay.rows_per_chunk - 1)) < c->seen) {
      if (c.use_count() > 1)
        c = std::make_shared<chunk>(*c, lay);
      else
        // The last search that held this chunk released it (a release
        // decrement); order our write after its reads.
        std::atomic_thread_fence(std::memory_order_acquire);
    }
    return *c;
  }

  void write(std::size_t row, const float* normalized, std::uint64_t id, std::uint32_t tag) {
    chunk& c = writable(row);
    const std::size_t slot = row & (lay.rows_per_chunk - 1);
    std::byte* dst = c.data.get() + slot * lay.row_bytes;
    switch (lay.type) {
      case element_type::f32: std::memcpy(dst, normalized, lay.padded * sizeof(float)); break;
      case element_type::f16: k->to_f16(normalized, reinterpret_cast<std::uint16_t*>(dst), lay.padded); break;
      case element_type::i8: {
        float max_abs = 0;
        for (std::size_t i = 0; i < lay.dim; ++i) max_abs = std::max(max_abs, std::fabs(normalized[i]));
        const float s = max_abs / 127.0f;
        auto* q = reinterpret_cast<std::int8_t*>(dst);
        float sum = 0;
        for (std::size_t i = 0; i < lay.padded; ++i) {
          q[i] = static_cast<std::int8_t>(std::clamp(std::nearbyint(normalized[i] / s), -127.0f, 127.0f));
          sum += static_cast<float>(std::abs(q[i]));
        }
        c.scale[slot] = s;
        c.l1[slot] = s * sum;
        std::memcpy(c.exact.get() + slot * lay.padded * sizeof(float), normalized, lay.padded * sizeof(float));
        break;
      }
    }
    c.ids[slot] = id;
    c.tags[slot] = tag;
  }

  // Copies row `from` (all of it, metadata included) over row `to`.
  void move_row(std::size_t from, std::size_t to) {
    // The destination first: if it is copied, the source (possibly the same
    // chunk) must be read from the copy, not from the chunk only a finishing
    // search still holds.
    chunk& dst = writable(to);
    const chunk& src = *chunks[from >> lay.chunk_shift];
    const std::size_t fs = from & (lay.rows_per_chunk - 1);
    const std::size_t ts = to & (lay.rows_per_chunk - 1);
    std::memcpy(dst.data.get() + ts * lay.row_bytes, src.data.get() + fs * lay.row_bytes, lay.row_bytes);
    if (lay.type == element_type::i8) {
      const std::size_t eb = lay.padded * sizeof(float);
      std::memcpy(dst.exact.get() + ts * eb, src.exact.get() + fs * eb, eb);
      dst.scale[ts] = src.scale[fs];
      dst.l1[ts] = src.l1[fs];
    }
    dst.ids[ts] = src.ids[fs];
    dst.tags[ts] = src.tags[fs];
  }

  std::size_t row_of(std::uint64_t id, const char* op) const {
    const auto it = where.find(id);
    if (it == where.end())
      throw error(errc::unknown_id, std::string("ddb::vec: ") + op + "(" + std::to_string(id) +
                                        "): no vector is stored under this id");
    return it->second;
  }

  snapshot view() const {
    snapshot s;
    s.lay = lay;
    s.size = size;
    s.chunks.assign(chunks.begin(), chunks.end());
    return s;
  }
};

}  // namespace detail

using detail::index_impl;

index::index(index_options opt) : impl_(std::make_unique<index_impl>(opt)) {}
index::~index() = default;
index::index(index&&) noexcept = default;
index& index::operator=(index&&) noexcept = default;

std::size_t index::dim() const noexcept { return impl_->lay.dim; }
element_type index::type() const noexcept { return impl_->lay.type; }
std::size_t index::size() const noexcept { return impl_->size; }
void to_f16(std::span<const float> in, std::span<std::uint16_t> out) {
  if (in.size() != out.size()) throw error(errc::invalid_argument, "to_f16: input and output sizes differ");
  detail::scalar_kernels.to_f16(in.data(), out.data(), in.size());  // any length (the AVX2 one wants padded rows)
}
void from_f16(std::span<const std::uint16_t> in, std::span<float> out) {
  if (in.size() != out.size()) throw error(errc::invalid_argument, "from_f16: input and output sizes differ");
  detail::scalar_kernels.from_f16(in.data(), out.data(), in.size());
}

const char* index::kernel_name() noexcept { return detail::kernels().name; }

std::size_t index::memory_bytes() const noexcept {
  std::size_t b = sizeof(index_impl) + impl_->where.size() * (sizeof(std::uint64_t) + sizeof(std::size_t) + 16);
  for (const auto& c : impl_->chunks) b += c->bytes;
  return b;
}

void index::add(std::uint64_t id, std::span<const float> v, std::uint32_t tag) {
  auto& m = *impl_;
  if (m.where.contains(id))
    throw error(errc::duplicate_id,
                "ddb::vec: add(" + std::to_string(id) + "): the id is already stored; use update() or upsert()");
  const std::string what = "vector for id " + std::to_string(id);
  detail::normalize_into(v, m.lay, m.scratch.data(), what.c_str());
  m.where.reserve(m.size + 1);  // the only allocation that could fail after the write
  m.write(m.size, m.scratch.data(), id, tag);
  m.where.emplace(id, m.size);
  ++m.size;
}

void index::update(std::uint64_t id, std::span<const float> v, std::uint32_t tag) {
  auto& m = *impl_;
  const std::size_t row = m.row_of(id, "update");
  const std::string what = "vector for id " + std::to_string(id);
  detail::normalize_into(v, m.lay, m.scratch.data(), what.c_str());
  m.write(row, m.scratch.data(), id, tag);
}

void index::upsert(std::uint64_t id, std::span<const float> v, std::uint32_t tag) {
  if (contains(id))
    update(id, v, tag);
  else
    add(id, v, tag);
}

void index::remove(std::uint64_t id) {
  auto& m = *impl_;
  const std::size_t row = m.row_of(id, "remove");
  const std::size_t last = m.size - 1;
  if (row != last) {
    m.move_row(last, row);
    const auto& c = *m.chunks[row >> m.lay.chunk_shift];
    m.where[c.ids[row & (m.lay.rows_per_chunk - 1)]] = row;
  }
  m.where.erase(id);
  m.size = last;
  // Drop chunks left empty (snapshots keep their own references).
  while (!m.chunks.empty() && (m.chunks.size() - 1) * m.lay.rows_per_chunk >= m.size) m.chunks.pop_back();
}

bool index::contains(std::uint64_t id) const noexcept { return impl_->where.contains(id); }

std::vector<float> index::get(std::uint64_t id) const {
  const auto& m = *impl_;
  const std::size_t row = m.row_of(id, "get");
  const auto& c = *m.chunks[row >> m.lay.chunk_shift];
  const std::size_t slot = row & (m.lay.rows_per_chunk - 1);
  std::vector<float> out(m.lay.dim);
  switch (m.lay.type) {
    case element_type::f32: std::memcpy(out.data(), c.f32_row(m.lay, slot), m.lay.dim * sizeof(float)); break;
    case element_type::f16:
      m.k->from_f16(reinterpret_cast<const std::uint16_t*>(c.data.get() + slot * m.lay.row_bytes), out.data(),
                    m.lay.dim);
      break;
    case element_type::i8: std::memcpy(out.data(), c.exact_row(m.lay, slot), m.lay.dim * sizeof(float)); break;
  }
  return out;
}

void index::clear() {
  impl_->chunks.clear();
  impl_->where.clear();
  impl_->size = 0;
}

matches index::search(std::span<const float> query, const search_options& opt) const {
  auto r = search_batch(query, 1, opt);
  return std::move(r.front());
}

std::vector<matches> index::search_batch(std::span<const float> queries, std::size_t count,
                                         const search_options& opt) const {
  const auto& m = *impl_;
  detail::check_search_options(opt);
  if (count == 0 || queries.size() != count * m.lay.dim)
    throw error(errc::dimension_mismatch, "ddb::vec: search_batch got " + std::to_string(queries.size()) +
                                              " floats for " + std::to_string(count) + " queries of dimension " +
                                              std::to_string(m.lay.dim) + "; pass count * dim() floats, count >= 1");
  std::vector<detail::prepared_query> qs;
  qs.reserve(count);
  for (std::size_t j = 0; j < count; ++j) {
    const std::string what = count == 1 ? "query" : "query " + std::to_string(j);
    qs.push_back(detail::prepare_query(queries.subspan(j * m.lay.dim, m.lay.dim), m.lay, what.c_str()));
  }
  const detail::snapshot s = m.view();
  std::vector<std::vector<detail::hit>> found;
  detail::search_range(s, *m.k, qs, opt, 0, s.size, found);
  std::vector<matches> out;
  out.reserve(count);
  for (auto& f : found) {
    std::vector<std::vector<detail::hit>> one;
    one.push_back(std::move(f));
    out.push_back(detail::finish(s, std::move(one), opt.k));
  }
  return out;
}

std::shared_ptr<const detail::snapshot> index::snapshot() const {
  auto& m = *impl_;
  auto s = std::make_shared<detail::snapshot>(m.view());
  for (std::size_t ci = 0; ci < m.chunks.size(); ++ci)
    m.chunks[ci]->seen = std::max(m.chunks[ci]->seen, std::min(m.lay.rows_per_chunk, m.size - ci * m.lay.rows_per_chunk));
  return s;
}

}  // namespace ddb::vec
