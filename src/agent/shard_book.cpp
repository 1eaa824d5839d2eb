#include "agent/shard_book.hpp"

namespace ddb::streams::detail {

void shard_book::load(const std::vector<position>& saved) {
  for (const position& p : saved) saved_[p.shard_id] = p;
}

void shard_book::on_described(const std::vector<shard>& shards, steady_time now) {
  const bool first = !described_;
  // A consumer with nothing saved starts by its option; shards found later
  // (children of the ones it reads) are read from their start.
  const bool fresh = first && saved_.empty();
  for (const shard& s : shards) {
    auto [it, added] = shards_.try_emplace(s.shard_id);
    entry& e = it->second;
    e.info = s;  // a shard closes between listings: its ending number appears
    if (!added) continue;
    if (auto sv = saved_.find(s.shard_id); sv != saved_.end()) {
      e.sequence_number = sv->second.sequence_number;
      e.finished = sv->second.finished;
      e.start = start_ == start_position::latest ? iterator_type::latest : iterator_type::trim_horizon;
      saved_.erase(sv);
    } else if (fresh && start_ == start_position::latest) {
      // What is already in the stream is skipped: closed shards count as read,
      // open ones start at their newest end.
      e.finished = s.closed();
      e.start = iterator_type::latest;
      changed(s.shard_id);
    } else {
      e.start = iterator_type::trim_horizon;
    }
  }
  described_ = true;
  describe_due_ = false;
  last_describe_ = now;
}

bool shard_book::readable(const std::string& shard_id) const {
  auto it = shards_.find(shard_id);
  if (it == shards_.end() || it->second.finished) return false;
  const std::string& parent = it->second.info.parent_shard_id;
  if (parent.empty()) return true;
  auto p = shards_.find(parent);
  // A parent no longer listed was trimmed away (older than 24 hours): there
  // is nothing left of it to read first.
  return p == shards_.end() || p->second.finished;
}

step shard_book::next(steady_time now) {
  step s;
  if (!described_ || describe_due_ || now - last_describe_ >= rediscover_) {
    s.what = step::describe;
    return s;
  }
  // Round robin: the first readable shard after the cursor not yet polled
  // empty in this round.
  auto pick = [&](auto from, auto to) -> entry* {
    for (auto it = from; it != to; ++it)
      if (!it->second.polled_empty && readable(it->first)) return &it->second;
    return nullptr;
  };
  entry* e = pick(shards_.upper_bound(cursor_), shards_.end());
  if (!e) e = pick(shards_.begin(), shards_.upper_bound(cursor_));
  if (!e) {
    for (auto& [id, x] : shards_) x.polled_empty = false;  // the next round
    return s;                                              // idle
  }
  s.shard_id = e->info.shard_id;
  cursor_ = s.shard_id;
  if (e->iterator.empty()) {
    s.what = step::get_iterator;
    if (e->sequence_number.empty()) {
      s.type = e->start;
    } else {
      s.type = iterator_type::after_sequence_number;
      s.sequence_number = e->sequence_number;
    }
    return s;
  }
  s.what = step::get_records;
  s.iterator = e->iterator;
  return s;
}

void shard_book::on_iterator(const std::string& shard_id, std::string iterator) {
  if (auto it = shards_.find(shard_id); it != shards_.end()) it->second.iterator = std::move(iterator);
}

void shard_book::on_iterator_expired(const std::string& shard_id) {
  if (auto it = shards_.find(shard_id); it != shards_.end()) it->second.iterator.clear();
}

void shard_book::on_trimmed(const std::string& shard_id) {
  auto it = shards_.find(shard_id);
  if (it == shards_.end()) return;
  ++trimmed_;
  it->second.iterator.clear();
  it->second.sequence_number.clear();
  it->second.start = iterator_type::trim_horizon;
}

void shard_book::on_shard_gone(const std::string& shard_id) {
  auto it = shards_.find(shard_id);
  if (it == shards_.end() || it->second.finished) return;
  it->second.finished = true;
  it->second.iterator.clear();
  describe_due_ = true;
  changed(shard_id);
}

void shard_book::on_records(const std::string& shard_id, const std::vector<record>& records, std::string next_iterator) {
  auto it = shards_.find(shard_id);
  if (it == shards_.end()) return;
  entry& e = it->second;
  if (!records.empty()) {
    e.sequence_number = records.back().sequence_number;
    changed(shard_id);
  } else {
    e.polled_empty = true;
  }
  e.iterator = std::move(next_iterator);
  if (e.iterator.empty()) {  // closed and read to its end: its children may start
    e.finished = true;
    describe_due_ = true;
    changed(shard_id);
  }
}

void shard_book::changed(const std::string& shard_id) { changed_.insert(shard_id); }

std::vector<position> shard_book::changed_positions() const {
  std::vector<position> out;
  for (const std::string& id : changed_) {
    auto it = shards_.find(id);
    if (it == shards_.end()) continue;
    out.push_back({id, it->second.sequence_number, it->second.finished});
  }
  return out;
}

std::size_t shard_book::finished_shards() const noexcept {
  std::size_t n = 0;
  for (const auto& [id, e] : shards_) n += e.finished ? 1 : 0;
  return n;
}

}  // namespace ddb::streams::detail
