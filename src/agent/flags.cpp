// Feature flags against DynamoDB: the protocol of ddb/agent/flags.hpp, its
// keys and checks in src/agent/protocol.cpp.
#include "ddb/agent/flags.hpp"

#include "agent/common.hpp"
#include "agent/protocol.hpp"
#include "ddb/batch.hpp"
#include "ddb/model/data.hpp"

namespace ddb::agent {

namespace asio = boost::asio;
using namespace detail;
using steady = std::chrono::steady_clock;

namespace {

constexpr const char* pointer_sk = "#current";

// The pointer item as read: generation 0 when the set was never published.
struct pointer {
  std::int64_t generation = 0, count = 0, published_ms = 0, prev_generation = 0;
  std::string token, prev_token;
};

pointer read_pointer(const item& it) {
  pointer p;
  if (it.empty()) return p;
  auto get_int = [&](const char* name) {
    auto v = integer_at(it, name);
    if (!v) throw ddb::error(std::move(v).error());
    return *v;
  };
  auto get_str = [&](const char* name) -> std::string {
    const value* v = it.find(name);
    const std::string* s = v ? v->get_if<std::string>() : nullptr;
    if (!s) fail_with(errc::unexpected_json, std::string("the flag set's pointer item has no '") + name + "'");
    return *s;
  };
  p.generation = get_int("generation");
  p.count = get_int("count");
  p.published_ms = get_int("published_ms");
  p.token = get_str("token");
  if (it.find("prev_generation")) {
    p.prev_generation = get_int("prev_generation");
    p.prev_token = get_str("prev_token");
  }
  return p;
}

}  // namespace

struct flags::impl : detail::checked_table {
  impl(client& cl, table_options t, flags_options o) : checked_table{cl, std::move(t)}, opt(o) {}
  flags_options opt;
  struct cached {
    flag_set_view view;
    steady::time_point at;
  };
  std::map<std::string, cached> cache;

  std::string pk_of(const std::string& set) const {
    auto v = flags_pk(set);
    if (!v) throw ddb::error(std::move(v).error());
    return std::move(*v);
  }

  asio::awaitable<pointer> current(const std::string& pk_value) {
    get_item_request g;
    g.table_name = t.table_name;
    g.key = item{{pk, pk_value}, {sk, pointer_sk}};
    g.consistent_read = true;
    auto r = co_await c.get_item(g);
    co_return read_pointer(r.item);
  }

  // The keys of a generation's items.
  asio::awaitable<std::vector<item>> generation_items(const std::string& pk_value, const std::string& prefix) {
    query_request q;
    q.table_name = t.table_name;
    q.key_condition_expression = "#pk = :pk AND begins_with(#sk, :p)";
    q.expression_attribute_names = {{"#pk", pk}, {"#sk", sk}};
    q.expression_attribute_values = item{{":pk", pk_value}, {":p", prefix}};
    q.consistent_read = true;
    std::vector<item> out;
    for (;;) {
      auto page = co_await c.query(q);
      for (item& it : page.items) out.push_back(std::move(it));
      if (page.last_evaluated_key.empty()) break;
      q.exclusive_start_key = std::move(page.last_evaluated_key);
    }
    co_return out;
  }

  asio::awaitable<void> delete_items(const std::vector<item>& items) {
    if (items.empty()) co_return;
    std::map<std::string, std::vector<write_request>> writes;
    for (const item& it : items)
      writes[t.table_name].push_back(
          write_request{.delete_request = delete_request{.key = item{{pk, *it.find(pk)}, {sk, *it.find(sk)}}}});
    (void)co_await batch_write(c, std::move(writes));  // best effort: leftovers are unreachable, never read
  }
};

flags::flags(client& c, table_options t) : flags(c, std::move(t), flags_options()) {}
flags::flags(client& c, table_options t, flags_options o) : impl_(std::make_unique<impl>(c, std::move(t), o)) {}
flags::~flags() = default;
flags::flags(flags&&) noexcept = default;
flags& flags::operator=(flags&&) noexcept = default;
asio::any_io_executor flags::executor() const { return impl_->c.get_executor(); }
void flags::invalidate(const std::string& set) { impl_->cache.erase(set); }

std::optional<std::string> flags::invalidate_changed(const ddb::item& keys) {
  const std::string* pk_value = string_at(keys, pk);
  const std::string* sk_value = string_at(keys, sk);
  constexpr std::string_view prefix = "flags#";
  if (!pk_value || !sk_value || *sk_value != pointer_sk || pk_value->compare(0, prefix.size(), prefix) != 0)
    return std::nullopt;
  std::string set = pk_value->substr(prefix.size());
  invalidate(set);
  return set;
}

asio::awaitable<flag_set_view> flags::read_impl(std::string set) {
  impl& s = *impl_;
  const std::string pk_value = s.pk_of(set);
  co_await s.ensure();
  for (int attempt = 0; attempt < 5; ++attempt) {
    const pointer p = co_await s.current(pk_value);
    flag_set_view view;
    view.generation = p.generation;
    view.published_ms = p.published_ms;
    if (p.generation == 0) {
      s.cache.insert_or_assign(set, impl::cached{view, steady::now()});
      co_return view;
    }
    const std::string prefix = generation_prefix(p.generation, p.token);
    const std::vector<item> items = co_await s.generation_items(pk_value, prefix);
    if (static_cast<std::int64_t>(items.size()) != p.count) continue;  // published twice meanwhile: read again
    for (const item& it : items) {
      const std::string* key = it.find(sk)->get_if<std::string>();
      const value* v = it.find("value");
      if (!key || !v || !v->get_if<std::string>())
        fail_with(errc::unexpected_json, "a flag item of set '" + set + "' has no string 'value'");
      view.flags.insert_or_assign(key->substr(prefix.size()), *v->get_if<std::string>());
    }
    s.cache.insert_or_assign(set, impl::cached{view, steady::now()});
    co_return view;
  }
  fail_with(errc::write_conflict, "flag set '" + set + "' was published again while it was read, 5 times; try again");
}

asio::awaitable<flag_value> flags::get_impl(std::string set, std::string name) {
  impl& s = *impl_;
  flag_value out;
  auto it = s.cache.find(set);
  if (it != s.cache.end() && steady::now() - it->second.at < s.opt.refresh) {
    out.cached = true;
  } else {
    (void)co_await read_impl(set);
    it = s.cache.find(set);
  }
  out.generation = it->second.view.generation;
  if (auto f = it->second.view.flags.find(name); f != it->second.view.flags.end()) out.value = f->second;
  co_return out;
}

asio::awaitable<published> flags::publish_impl(std::string set, std::map<std::string, std::string> all,
                                               std::int64_t expected) {
  impl& s = *impl_;
  const std::string pk_value = s.pk_of(set);
  if (expected < 0) fail_with(errc::invalid_config, "the expected generation is 0 (never published) or more");
  for (const auto& [name, v] : all)
    if (auto ok = check_flag(name, v); !ok) throw ddb::error(std::move(ok).error());
  co_await s.ensure();
  const pointer before = co_await s.current(pk_value);
  const std::string stale = "flag set '" + set + "' is at generation " + std::to_string(before.generation) +
                            ", not " + std::to_string(expected) + ": another writer published it; read it again";
  if (before.generation != expected) fail_with(errc::version_conflict, stale);
  // 1. the new generation's items, under a fresh token: no pointer names them yet.
  const std::int64_t next = expected + 1;
  const std::string token = new_owner_token().substr(0, 12);
  const std::string prefix = generation_prefix(next, token);
  std::vector<item> written;
  std::map<std::string, std::vector<write_request>> writes;
  for (const auto& [name, v] : all) {
    item it{{pk, pk_value}, {sk, prefix + name}, {"value", v}};
    written.push_back(item{{pk, pk_value}, {sk, prefix + name}});
    writes[s.t.table_name].push_back(write_request{.put_request = put_request{.item = std::move(it)}});
  }
  if (!writes.empty()) {
    batch_write_outcome w = co_await batch_write(s.c, std::move(writes));
    if (!w.ok()) {
      co_await s.delete_items(written);
      fail_with(errc::unprocessed, "flag set '" + set + "': some flags could not be written; nothing was published");
    }
  }
  // 2. the flip, on condition that no one published meanwhile.
  update_item_request u;
  u.table_name = s.t.table_name;
  u.key = item{{pk, pk_value}, {sk, pointer_sk}};
  u.update_expression = "SET #g = :next, #tok = :tok, #n = :n, #at = :at, #pg = :pg, #pt = :pt";
  u.condition_expression = expected == 0 ? "attribute_not_exists(#g)" : "#g = :expected";
  u.expression_attribute_names = {{"#g", "generation"}, {"#tok", "token"},          {"#n", "count"},
                                  {"#at", "published_ms"}, {"#pg", "prev_generation"}, {"#pt", "prev_token"}};
  u.expression_attribute_values = item{{":next", next},
                                       {":tok", token},
                                       {":n", static_cast<std::int64_t>(all.size())},
                                       {":at", epoch_ms(s.c.server_time())},
                                       {":pg", before.generation},
                                       {":pt", before.token}};
  if (expected != 0) u.expression_attribute_values.insert_or_assign(":expected", expected);
  auto [ec, r] = co_await s.c.update_item(u, tuple_token);
  if (ec == service_errc::conditional_check_failed) {
    co_await s.delete_items(written);
    fail_with(errc::version_conflict, stale);
  }
  if (ec) ddb::detail::throw_operation_error(ec, std::move(r.diag));
  s.cache.erase(set);
  // 3. the generation before the previous one: no reader that follows the
  // pointer needs it (one two publishes behind sees a count mismatch).
  if (before.prev_generation > 0) {
    const std::string old = generation_prefix(before.prev_generation, before.prev_token);
    const std::vector<item> gone = co_await s.generation_items(pk_value, old);
    co_await s.delete_items(gone);
  }
  published out;
  out.generation = next;
  co_return out;
}

}  // namespace ddb::agent
