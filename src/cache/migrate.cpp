// ddb::cache::migrate: copies a mneme-layout table (mneme's, or ddb's from
// before layouts) into a lean (or mneme) one while both stay in use.
//
// 1. The source's counter (next_id, version_counter, ring position) and the
//    time are recorded in the destination's meta item, under `migration`,
//    before anything is read: every change after that point is caught up in
//    step 3, so none is missed.
// 2. A parallel Scan of the source; each entry goes to the destination
//    unless the destination holds that prompt written later or deleted (lean:
//    one conditional PutItem; mneme: a put). After every page the segment's
//    position is saved in `migration.seg`, so a run that stops (max_items, a
//    crash, Ctrl-C) continues from there when run again.
// 3. The source's changes since step 1 (store::changes_since): entries
//    written meanwhile are copied the same way; entries deleted meanwhile are
//    deleted from the destination when this run scanned them (a deletion of an
//    entry copied by an earlier, interrupted run is counted in `skipped`).
// 4. `migration.done` is set with the point reached; running it again copies
//    only what changed in the source after that point (so it can be run until
//    the source's writers have moved to the destination).
//
// Deletions: the mneme layout names the entries ddb deleted (its ring) but
// not those mneme deleted (mneme records nothing but a counter bump), so a
// deletion made by a mneme process during the migration is not carried over;
// nor is one of an entry scanned by an earlier, interrupted run (the source id
// no longer names a prompt). Both are counted in `skipped`.
#include <boost/asio/this_coro.hpp>

#include <functional>
#include <set>
#include <unordered_map>

#include "cache/dynamodb_common.hpp"
#include "helpers/run_all.hpp"

namespace ddb::cache {
namespace asio = boost::asio;
using detail::num;
using detail::str;

namespace {

struct run_state {
  ddb::client& c;
  migrate_options& opt;
  bool legacy = false;
  dynamodb_store* dst = nullptr;
  item dst_key;
  migrate_progress prog;
  std::unordered_map<std::uint64_t, std::pair<std::string, std::string>> prompt_of;  // source id -> (ns, hash)
  std::set<std::string> namespaces;  // seen by this run, or by earlier runs (saved in the meta item)
  std::set<std::string> saved_ns;

  void report() {
    if (opt.progress) opt.progress(prog);
  }

  asio::awaitable<void> save(std::string expression, item values, std::map<std::string, std::string> names) {
    update_item_request u;
    u.table_name = opt.to.table_name;
    u.key = dst_key;
    u.update_expression = std::move(expression);
    u.expression_attribute_values = std::move(values);
    u.expression_attribute_names = std::move(names);
    co_await c.update_item(u);
  }

  // Copies one source entry; true if written.
  asio::awaitable<bool> copy(entry e) {
    if (e.embedding.empty() || e.query_hash.empty()) co_return false;
    if (dst->layout() == table_layout::lean) {
      const bool written = co_await copy_lean(std::move(e));
      co_return written;
    }
    co_await dst->upsert(std::move(e));
    co_return true;
  }
  asio::awaitable<bool> copy_lean(entry e);
};

}  // namespace


namespace {

asio::awaitable<bool> run_state::copy_lean(entry e) {
  detail::lean_store* lean = lean_part(*dst);
  const bool written = co_await lean->put_if_older(std::move(e));
  co_return written;
}

store_cursor cursor_from(const item& m) {
  store_cursor c;
  c.version = static_cast<std::uint64_t>(num(m, "version"));
  c.next_id = static_cast<std::uint64_t>(num(m, "next_id", 1));
  c.log = static_cast<std::uint64_t>(num(m, "log"));
  c.time = num(m, "time");
  return c;
}

}  // namespace

asio::awaitable<migrate_result> migrate(ddb::client& c, migrate_options opt) {
  if (opt.from_table == opt.to.table_name)
    throw ddb::error(fail(errc::invalid_config, "migrate: the destination must be another table than " + opt.from_table));
  if (opt.segments < 1 || opt.segments > 64) throw ddb::error(fail(errc::invalid_config, "migrate: segments must be 1 to 64"));
  if (opt.concurrency < 1 || opt.concurrency > 256)
    throw ddb::error(fail(errc::invalid_config, "migrate: concurrency must be 1 to 256"));
  detail::table_facts src_facts = co_await detail::describe(c, opt.from_table);
  if (!src_facts.exists) throw ddb::error(fail(errc::invalid_config, "migrate: table " + opt.from_table + " does not exist"));
  if (src_facts.key != "id")
    throw ddb::error(fail(errc::invalid_config, "migrate: " + opt.from_table + " is not a mneme-layout cache table (partition key '" +
                                                    src_facts.key + "'): the source must be a table made by mneme or ddb"));
  run_state st{c, opt};
  st.legacy = src_facts.keys_only_hash_index;
  migrate_result result;
  result.from_layout = st.legacy ? "ddb-0" : "mneme";

  get_item_request mg;
  mg.table_name = opt.from_table;
  mg.key = item{{"id", value(0)}};
  mg.consistent_read = true;
  get_item_response src_meta = co_await c.get_item(mg);
  if (src_meta.item.empty())
    throw ddb::error(fail(errc::invalid_config, "migrate: " + opt.from_table + " has no meta item (id 0): not a cache table"));
  const std::string fingerprint = str(src_meta.item, "embedder_fingerprint");
  const auto dim = static_cast<std::size_t>(num(src_meta.item, "embedder_dim"));

  if (opt.to.layout == table_layout::detect) opt.to.layout = table_layout::lean;
  dynamodb_store dst(c, opt.to);
  co_await dst.open(fingerprint, dim);
  st.dst = &dst;
  st.dst_key = dst.layout() == table_layout::lean ? item{{"k", value(0)}} : item{{"id", value(0)}};

  get_item_request dg;
  dg.table_name = opt.to.table_name;
  dg.key = st.dst_key;
  dg.consistent_read = true;
  get_item_response dst_meta = co_await c.get_item(dg);
  const value* mig = dst_meta.item.find("migration");
  item state = mig && mig->kind() == ddb::type::map ? mig->as_map() : item{};
  if (!state.empty() && str(state, "from") != opt.from_table)
    throw ddb::error(fail(errc::invalid_config, "migrate: " + opt.to.table_name + " is already the destination of a migration from " +
                                                    str(state, "from") + ": use another destination table"));
  const bool done_before = num(state, "done") == 1;
  if (state.empty()) {
    // Step 1: where the source's history stands before anything is read.
    const std::int64_t t = detail::server_seconds(c);
    item cur{{"version", value(num(src_meta.item, "version_counter"))},
             {"next_id", value(num(src_meta.item, "next_id", 1))},
             {"log", value(num(src_meta.item, "recent_seq"))},
             {"time", value(t)}};
    state = item{{"from", value(opt.from_table)}, {"segments", value(opt.segments)}, {"cursor", value(std::move(cur))},
                 {"seg", value(item{})}, {"done", value(0)}};
    std::string expr = "SET migration = :m";
    item values{{":m", value(state)}};
    std::map<std::string, std::string> no_names;
    co_await st.save(std::move(expr), std::move(values), std::move(no_names));
  }
  if (const value* ns = dst_meta.item.find("migration_namespaces"); ns && ns->kind() == ddb::type::string_set)
    for (const std::string& name : ns->get<string_set>()) {
      st.namespaces.insert(name);
      st.saved_ns.insert(name);
    }
  const std::int64_t segments = num(state, "segments", 1);
  const value* segv = state.find("seg");
  item positions = segv && segv->kind() == ddb::type::map ? segv->as_map() : item{};
  st.prog.segments = segments;
  for (const auto& [name, pos] : positions)
    if (pos.kind() == ddb::type::string && pos.as_string() == "done") ++st.prog.segments_done;

  // Step 2: the Scan, one coroutine per segment (done already when this
  // migration has completed before: then only the changes since are copied).
  if (done_before) positions.clear();
  bool stopped = false;
  std::function<asio::awaitable<void>(std::size_t)> scan_segment = [&](std::size_t seg) -> asio::awaitable<void> {
    const std::string name = std::to_string(seg);
    item start;
    if (const value* p = positions.find(name)) {
      if (p->kind() == ddb::type::string) co_return;  // "done"
      if (p->kind() == ddb::type::map) start = p->as_map();
    }
    for (;;) {
      if (opt.max_items && st.prog.scanned >= *opt.max_items) {
        stopped = true;
        co_return;
      }
      scan_request r;
      r.table_name = opt.from_table;
      r.segment = static_cast<std::int64_t>(seg);
      r.total_segments = segments;
      r.consistent_read = true;
      r.exclusive_start_key = start;
      // Pages of up to 100 items; fewer near max_items, so a run stops close to it.
      std::int64_t page = 100;
      if (opt.max_items) page = std::clamp<std::int64_t>(static_cast<std::int64_t>(*opt.max_items - st.prog.scanned), 1, 100);
      r.limit = page;
      scan_response got = co_await c.scan(r);
      std::vector<entry> batch, batch_names;
      for (const item& it : got.items) {
        ++st.prog.scanned;
        if (num(it, "id") < 1) {
          ++st.prog.skipped;  // the meta item, or a hash guard of ddb before layouts
          continue;
        }
        entry e = detail::mneme_entry_from_item(it, st.legacy);
        st.prompt_of[e.id] = {e.ns, e.query_hash};
        st.namespaces.insert(e.ns);
        batch_names.push_back(entry{0, e.ns});
        batch.push_back(std::move(e));
      }
      const std::size_t width = std::min<std::size_t>(batch.size(), static_cast<std::size_t>(opt.concurrency));
      std::size_t next = 0;
      std::function<asio::awaitable<void>(std::size_t)> writer = [&](std::size_t) -> asio::awaitable<void> {
        while (next < batch.size()) {
          entry e = std::move(batch[next++]);
          const bool written = co_await st.copy(std::move(e));
          if (written)
            ++st.prog.copied;
          else
            ++st.prog.skipped;
        }
      };
      co_await ddb::detail::run_all(width, writer);
      // The namespaces seen, kept with the progress: the catch-up looks for
      // changes in each (a resumed run has not seen them all itself).
      string_set fresh_ns;
      for (const entry& e : batch_names)
        if (st.saved_ns.insert(e.ns).second) fresh_ns.push_back(e.ns);
      if (!fresh_ns.empty()) {
        std::string ns_expr = "ADD migration_namespaces :s";
        item ns_values{{":s", value(std::move(fresh_ns))}};
        std::map<std::string, std::string> no_names;
        co_await st.save(std::move(ns_expr), std::move(ns_values), std::move(no_names));
      }
      start = std::move(got.last_evaluated_key);
      const bool last = start.empty();
      if (last) ++st.prog.segments_done;
      std::string expr = "SET migration.seg.#s = :p";
      item values{{":p", last ? value("done") : value(start)}};
      std::map<std::string, std::string> names{{"#s", name}};
      co_await st.save(std::move(expr), std::move(values), std::move(names));
      st.report();
      if (last) co_return;
    }
  };
  if (!done_before) co_await ddb::detail::run_all(static_cast<std::size_t>(segments), scan_segment);
  result.totals = st.prog;
  if (stopped) co_return result;

  // Step 3: what the source's writers changed meanwhile.
  st.prog.catching_up = true;
  st.report();
  dynamodb_store_options src_opt;
  src_opt.table_name = opt.from_table;
  src_opt.sync_window = opt.to.sync_window;
  detail::mneme_store src(c, src_opt, st.legacy);
  co_await src.open(fingerprint, dim);
  for (const std::string& ns : st.namespaces) src.learn_namespace(ns);
  const value* curv = state.find("cursor");
  store_cursor cursor = cursor_from(curv && curv->kind() == ddb::type::map ? curv->as_map() : item{});
  store_changes changes = co_await src.changes_since(cursor);
  if (changes.full_reload) {
    // More changed than the source's records can name: copy everything again
    // (entries already there are skipped by the age condition).
    store_snapshot all = co_await src.load_all();
    changes.changed = std::move(all.entries);
  }
  for (entry& e : changes.changed) {
    const bool written = co_await st.copy(std::move(e));
    if (written)
      ++st.prog.copied;
    else
      ++st.prog.skipped;
  }
  for (std::uint64_t id : changes.removed) {
    auto p = st.prompt_of.find(id);
    if (p == st.prompt_of.end() || dst.layout() != table_layout::lean) {
      ++st.prog.skipped;
      continue;
    }
    detail::lean_store* lean = lean_part(dst);
    const std::int64_t before = detail::server_seconds(c);
    co_await lean->remove_if_older(p->second.first, p->second.second, before);
  }
  // The point reached: a later run copies only what changed after it.
  item reached{{"version", value(static_cast<std::int64_t>(changes.cursor.version))},
               {"next_id", value(static_cast<std::int64_t>(changes.cursor.next_id))},
               {"log", value(static_cast<std::int64_t>(changes.cursor.log))},
               {"time", value(changes.cursor.time)}};
  std::string done_expr = "SET migration.done = :one, migration.finished_at = :t, migration.#cursor = :c";
  item done_values{{":one", value(1)}, {":t", value(detail::server_seconds(c))}, {":c", value(std::move(reached))}};
  std::map<std::string, std::string> done_names{{"#cursor", "cursor"}};
  co_await st.save(std::move(done_expr), std::move(done_values), std::move(done_names));
  st.report();
  result.totals = st.prog;
  result.complete = true;
  co_return result;
}

}  // namespace ddb::cache
