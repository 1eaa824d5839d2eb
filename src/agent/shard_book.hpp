#pragma once
// The decisions of ddb::streams::consumer as pure code: which shard to read
// next, lineage (a child only after its parent is read to its end), where
// each shard resumes, what to save. The consumer (stream_consumer.cpp) only
// carries out the steps this returns and reports what happened; time is
// passed in. Unit tests drive it with scripted shard trees (test_stream_book.cpp).
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ddb/streams.hpp"
#include "ddb/streams/consumer.hpp"

namespace ddb::streams::detail {

using steady_time = std::chrono::steady_clock::time_point;

// A shard's saved (or to-be-saved) position.
struct position {
  std::string shard_id;
  std::string sequence_number;  // the last record handled; empty: none yet
  bool finished = false;        // read to its end (a closed shard)
};

struct step {
  enum kind { describe, get_iterator, get_records, idle } what = idle;
  std::string shard_id;
  iterator_type type = iterator_type::trim_horizon;  // get_iterator
  std::string sequence_number;                       // get_iterator at/after
  std::string iterator;                              // get_records
};

class shard_book {
 public:
  shard_book(start_position start, std::chrono::milliseconds rediscover)
      : start_(start), rediscover_(rediscover) {}

  // Positions saved by an earlier run (before the first describe).
  void load(const std::vector<position>& saved);
  // A complete listing of the stream's shards (every DescribeStream page).
  void on_described(const std::vector<shard>& shards, steady_time now);

  // What to do next: describe when never described, when a shard was read
  // to its end (its children appear) or every `rediscover`; otherwise the
  // next readable shard after the last one read (round robin), getting an
  // iterator first when it has none; idle when every readable shard was
  // polled empty since the last idle (then the round starts again).
  step next(steady_time now);

  void on_iterator(const std::string& shard_id, std::string iterator);
  // The iterator expired: the next read asks for a new one at the position.
  void on_iterator_expired(const std::string& shard_id);
  // The position is past the stream's 24-hour retention: the shard restarts
  // at its oldest record (records between were lost: counted).
  void on_trimmed(const std::string& shard_id);
  // The shard is no longer in the stream (trimmed away): finished.
  void on_shard_gone(const std::string& shard_id);
  // A GetRecords answer. The records are the caller's to deliver; the
  // position moves past them. An empty next iterator: read to its end.
  void on_records(const std::string& shard_id, const std::vector<record>& records, std::string next_iterator);

  // Positions changed since the last clear_changed() (what a commit saves;
  // cleared only once they were saved, so a failed save is tried again).
  std::vector<position> changed_positions() const;
  void clear_changed() { changed_.clear(); }

  std::uint64_t trimmed() const noexcept { return trimmed_; }
  std::size_t finished_shards() const noexcept;
  std::size_t known_shards() const noexcept { return shards_.size(); }
  // Whether the shard may be read now (its parent is finished or unknown).
  bool readable(const std::string& shard_id) const;

 private:
  struct entry {
    shard info;
    std::string sequence_number;  // last record delivered
    std::string iterator;
    iterator_type start = iterator_type::trim_horizon;  // when sequence_number is empty
    bool finished = false;
    bool polled_empty = false;  // in this round
  };
  void changed(const std::string& shard_id);

  start_position start_;
  std::chrono::milliseconds rediscover_;
  std::map<std::string, entry> shards_;          // by shard id (ids sort by creation)
  std::map<std::string, position> saved_;        // loaded, for shards not described yet
  std::set<std::string> changed_;
  std::string cursor_;                           // the shard read last
  bool described_ = false;
  bool describe_due_ = true;
  steady_time last_describe_{};
  std::uint64_t trimmed_ = 0;
};

}  // namespace ddb::streams::detail
