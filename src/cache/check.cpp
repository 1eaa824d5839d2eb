// cache::check_table: what each layout promises, checked item by item.
#include <algorithm>
#include <set>

#include "cache/dynamodb_common.hpp"
#include "core/crypto.hpp"
#include "ddb/paginate.hpp"

namespace ddb::cache {
namespace asio = boost::asio;
using detail::num;
using detail::str;

namespace {

bool is(const item& it, const char* name, ddb::type t) {
  const value* v = it.find(name);
  return v && v->kind() == t;
}

std::string hex(const bytes& b) {
  std::string out;
  crypto::append_hex(out, b.data(), b.size());
  return out;
}

// Names the attributes of `want` missing from `it` or of another type.
std::string missing(const item& it, std::initializer_list<std::pair<const char*, ddb::type>> want) {
  std::string out;
  for (const auto& [name, t] : want)
    if (!is(it, name, t)) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

void check_mneme(const std::vector<item>& items, std::size_t dim, table_check& r) {
  std::map<std::pair<std::string, std::string>, std::vector<std::int64_t>> by_prompt;
  std::int64_t max_id = 0, next_id = -1;
  for (const item& it : items) {
    const std::int64_t id = num(it, "id", INT64_MIN);
    if (id == 0) {
      next_id = num(it, "next_id", -1);
      continue;
    }
    if (id < 0) continue;  // hash guards of ddb before layouts
    ++r.entries;
    max_id = std::max(max_id, id);
    const std::string where = "entry " + std::to_string(id);
    const std::string gaps = missing(it, {{"namespace", type::string}, {"query_hash", type::string}, {"query", type::string},
                                          {"response", type::string}, {"embedding", type::binary}, {"metadata", type::string},
                                          {"created_at", type::number}, {"last_accessed_at", type::number},
                                          {"access_count", type::number}});
    if (!gaps.empty()) {
      r.problems.push_back(where + " lacks (or mistypes) " + gaps);
      continue;
    }
    if (it.at("embedding").as_binary().size() != dim * 4)
      r.problems.push_back(where + ": embedding of " + std::to_string(it.at("embedding").as_binary().size()) +
                           " bytes, not " + std::to_string(dim * 4));
    const std::string hash = str(it, "query_hash");
    if (hash != query_hash(normalize(str(it, "query")))) r.problems.push_back(where + ": query_hash is not the query's");
    by_prompt[{str(it, "namespace"), hash}].push_back(id);
  }
  for (auto& [prompt, ids] : by_prompt)
    if (ids.size() > 1) {
      std::sort(ids.begin(), ids.end());
      std::string list;
      for (std::int64_t id : ids) list += (list.empty() ? "" : ", ") + std::to_string(id);
      r.problems.push_back("the prompt " + prompt.second + " in namespace " + prompt.first + " has " +
                           std::to_string(ids.size()) + " entries (ids " + list + ")");
    }
  if (next_id >= 0 && next_id <= max_id)
    r.problems.push_back("next_id " + std::to_string(next_id) + " is not past the largest id " + std::to_string(max_id));
}

void check_lean(const std::vector<item>& items, std::size_t dim, table_check& r) {
  std::set<std::pair<std::string, std::string>> prompts;
  for (const item& it : items) {
    const std::int64_t k = num(it, "k", INT64_MIN);
    const std::string where = "item " + std::to_string(k);
    if (k == 0) continue;
    if (k < 0) {
      ++r.hit_logs;
      const std::string gaps = missing(it, {{"a", type::binary}, {"p", type::number}, {"u", type::number}, {"x", type::number}});
      if (!gaps.empty())
        r.problems.push_back(where + " (a hit log) lacks " + gaps);
      else if (it.at("a").as_binary().size() % 20 != 0)
        r.problems.push_back(where + " (a hit log) holds " + std::to_string(it.at("a").as_binary().size()) +
                             " bytes, not whole 20-byte records");
      continue;
    }
    const std::string keys = missing(it, {{"n", type::string}, {"h", type::binary}, {"p", type::number}, {"u", type::number}});
    if (!keys.empty()) {
      r.problems.push_back(where + " lacks " + keys);
      continue;
    }
    const std::string ns = str(it, "n"), hash = hex(it.at("h").as_binary());
    if (static_cast<std::uint64_t>(k) != detail::lean_id(ns, hash))
      r.problems.push_back(where + " is not under its prompt's key (" + std::to_string(detail::lean_id(ns, hash)) + ")");
    if (it.contains("t")) {
      ++r.tombstones;
      if (it.contains("q") || it.contains("r") || it.contains("e")) r.problems.push_back(where + " is a tombstone that kept content");
      if (!is(it, "x", type::number)) r.problems.push_back(where + " is a tombstone without an expiry (x)");
      continue;
    }
    ++r.entries;
    const std::string gaps = missing(it, {{"q", type::string}, {"r", type::string}, {"e", type::binary}, {"c", type::number}});
    if (!gaps.empty()) {
      r.problems.push_back(where + " lacks " + gaps);
      continue;
    }
    const std::size_t want = dim * (num(it, "f") == 1 ? 2 : 4);
    if (it.at("e").as_binary().size() != want)
      r.problems.push_back(where + ": embedding of " + std::to_string(it.at("e").as_binary().size()) + " bytes, not " +
                           std::to_string(want));
    if (hash != query_hash(normalize(str(it, "q")))) r.problems.push_back(where + ": h is not the hash of its query");
    if (!prompts.emplace(ns, hash).second) r.problems.push_back(where + ": its prompt has another entry");
  }
}

}  // namespace

asio::awaitable<table_check> check_table(ddb::client& c, std::string table) {
  table_check r;
  detail::table_facts f = co_await detail::describe(c, table);
  if (!f.exists) {
    r.problems.push_back("table " + table + " does not exist");
    co_return r;
  }
  r.layout = f.key == "k" ? table_layout::lean : table_layout::mneme;
  if (f.key != "k" && f.key != "id") {
    r.problems.push_back("table " + table + " (partition key '" + f.key + "') is not a cache table");
    co_return r;
  }
  scan_request s;
  s.table_name = table;
  s.consistent_read = true;
  std::vector<item> items = co_await scan_all(c, s, 4);
  const item* meta = nullptr;
  for (const item& it : items)
    if (num(it, f.key.c_str(), -1) == 0) meta = &it;
  if (!meta || !is(*meta, "embedder_fingerprint", type::string) || !is(*meta, "embedder_dim", type::number)) {
    r.problems.push_back("no meta item with the embedder's fingerprint and dimension (open the table with a cache first)");
    co_return r;
  }
  const auto dim = static_cast<std::size_t>(num(*meta, "embedder_dim"));
  if (r.layout == table_layout::lean)
    check_lean(items, dim, r);
  else
    check_mneme(items, dim, r);
  co_return r;
}

}  // namespace ddb::cache
