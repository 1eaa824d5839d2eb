#pragma once
// ddb::vec: exact top-k cosine search over stored embeddings, by brute force
// at memory speed (AVX2 + FMA kernels, a scalar fallback picked at run time).
// Usable on its own: it needs neither the DynamoDB client nor a network.
//
// Vectors are L2-normalized when stored and when queried, so a score is the
// cosine similarity. Rows live in blocks of contiguous, 64-byte aligned rows
// padded to 32 bytes; a block never moves, which is what lets searches on a
// thread pool read a snapshot while the owner appends (see scorer.hpp).
//
// Element types:
//   f32  4 bytes per element; scores exact.
//   f16  2 bytes (IEEE half, round to nearest even); scores within about 1e-3.
//   i8   1 byte with a per-vector scale for the scan, plus a float32 copy that
//        re-scores the candidates: the scan keeps every row whose score bound
//        can still reach the top k, so results (ids and scores) are exactly
//        those of f32. Memory: 5 bytes per element; the scan reads 1.
//
// Thread safety: an index is used from one thread at a time (its owner); the
// scorer's searches run elsewhere on snapshots taken on the owner's thread.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace ddb::vec {

/// Error codes of ddb::vec (category "ddb.vec"), carried by ddb::vec::error.
enum class errc {
  invalid_dimension = 1,  ///< dim outside [1, 4096]
  dimension_mismatch,     ///< a vector whose length is not the index's dim
  not_finite,             ///< NaN or infinity in a vector
  zero_vector,            ///< all zeros: has no direction, cannot be normalized
  invalid_k,              ///< k outside [1, 1000]
  duplicate_id,           ///< add() of an id already stored
  unknown_id,             ///< update()/remove()/get() of an id not stored
  invalid_argument,       ///< anything else (the message says what)
};
/// The error category of ddb::vec::errc (name "ddb.vec"); one static instance.
const std::error_category& category() noexcept;
/// `e` as a std::error_code in category(); lets errc compare with error codes.
std::error_code make_error_code(errc e) noexcept;

/// What every ddb::vec operation throws (or, through a scorer, completes with):
/// code() is a ddb::vec::errc, what() a message saying what to fix.
class error : public std::system_error {
 public:
  /// An error with code `e` and `message` as what() (not prefixed with the category's text).
  error(errc e, const std::string& message) : std::system_error(make_error_code(e), message), what_(message) {}
  /// The message given to the constructor, exactly.
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

/// How an index stores each vector element (see the top of this header for memory and accuracy).
enum class element_type : std::uint8_t { f32, f16, i8 };
/// "f32", "f16" or "i8" ("?" for a value outside the enum).
const char* to_string(element_type t) noexcept;

/// Largest dimension an index accepts (index_options::dim is 1..max_dim).
inline constexpr std::size_t max_dim = 4096;
/// Largest k a search accepts (search_options::k is 1..max_k).
inline constexpr std::size_t max_k = 1000;

/// IEEE half precision, as the f16 index stores it (round to nearest even;
/// out-of-range values become infinity). in and out must have equal sizes,
/// else throws error(invalid_argument). For stored embeddings (the cache's lean
/// DynamoDB layout keeps them in half precision).
void to_f16(std::span<const float> in, std::span<std::uint16_t> out);
/// The inverse of to_f16 (exact: every half is a float). in and out must have
/// equal sizes, else throws error(invalid_argument).
void from_f16(std::span<const std::uint16_t> in, std::span<float> out);

/// How an index is built; both are fixed for its lifetime.
struct index_options {
  std::size_t dim = 0;                    ///< elements per vector, 1..max_dim (0, the default, is rejected)
  element_type type = element_type::f32;  ///< storage of each element
};

/// What a search returns: how many, above what score, and which rows qualify.
struct search_options {
  std::size_t k = 10;  ///< 1..1000; fewer results when fewer rows qualify
  float min_score = -std::numeric_limits<float>::infinity();  ///< keep scores >= this
  std::optional<std::uint32_t> tag;  ///< only rows stored with this tag (e.g. a namespace)
  /// Only ids for which this returns true. Called from the thread(s) running
  /// the search, only for rows whose score could enter the top k.
  std::function<bool(std::uint64_t id)> accept;
};

/// One search result.
struct match {
  std::uint64_t id = 0;    ///< the id the vector was stored under
  float score = 0;         ///< cosine similarity with the query, -1..1
  std::uint32_t tag = 0;   ///< the tag the vector was stored with
  /// Member-wise equality (scores compared exactly).
  friend bool operator==(const match&, const match&) = default;
};
/// Best first; equal scores in storage order.
using matches = std::vector<match>;

namespace detail {
struct index_impl;
struct index_access;
struct snapshot;
}  // namespace detail

/// An in-memory set of L2-normalized vectors keyed by a 64-bit id, each with
/// a 32-bit tag, searched exactly (brute force). Move-only; not thread-safe:
/// one owner thread (searches elsewhere go through a scorer).
class index {
 public:
  explicit index(index_options opt);  ///< throws error(invalid_dimension)
  ~index();
  /// Takes over `other`'s rows; `other` must not be used again except to be assigned or destroyed.
  index(index&&) noexcept;
  /// Takes over `other`'s rows, freeing this one's; `other` is left as after a move construction.
  index& operator=(index&&) noexcept;
  index(const index&) = delete;
  index& operator=(const index&) = delete;

  std::size_t dim() const noexcept;            ///< elements per vector (index_options::dim)
  element_type type() const noexcept;          ///< element storage (index_options::type)
  std::size_t size() const noexcept;           ///< vectors stored
  /// Estimated bytes held: allocated row blocks (whole blocks, including
  /// unused rows) plus the id lookup table. O(blocks).
  std::size_t memory_bytes() const noexcept;
  /// "avx2" or "scalar": the kernels this process uses (DDB_VEC_KERNEL=scalar forces scalar).
  static const char* kernel_name() noexcept;

  /// Stores v (normalized) under id. Throws error on a duplicate id, a length
  /// other than dim(), NaN/infinity or an all-zero vector; nothing changes then.
  void add(std::uint64_t id, std::span<const float> v, std::uint32_t tag = 0);
  /// Replaces the vector (and tag) stored under id; throws unknown_id if absent.
  void update(std::uint64_t id, std::span<const float> v, std::uint32_t tag = 0);
  /// add() or update(), whichever applies.
  void upsert(std::uint64_t id, std::span<const float> v, std::uint32_t tag = 0);
  /// Removes id (the last row moves into its place); throws unknown_id if absent.
  void remove(std::uint64_t id);
  bool contains(std::uint64_t id) const noexcept;  ///< whether a vector is stored under id
  /// The stored (normalized) vector: exact for f32 and i8, the half values for f16.
  std::vector<float> get(std::uint64_t id) const;
  /// Removes every vector and frees the row blocks (those a running search
  /// still reads stay alive until it completes). Keeps dim() and type().
  void clear();

  /// Searches on the calling thread. Throws error: invalid_k, invalid_argument
  /// (NaN min_score), dimension_mismatch, not_finite or zero_vector (the query).
  matches search(std::span<const float> query, const search_options& opt) const;
  /// `count` queries laid out one after another (count * dim() floats), scored
  /// together so that each row loaded serves all of them. Errors as search();
  /// dimension_mismatch also when count is 0.
  std::vector<matches> search_batch(std::span<const float> queries, std::size_t count,
                                    const search_options& opt) const;

 private:
  friend struct detail::index_access;
  std::shared_ptr<const detail::snapshot> snapshot() const;
  std::unique_ptr<detail::index_impl> impl_;
};

}  // namespace ddb::vec

/// \cond
template <>
struct std::is_error_code_enum<ddb::vec::errc> : std::true_type {};
/// \endcond
