// Checks made before a typed request is sent: the limits DynamoDB would
// refuse it for that the client can see (see ddb/limits.hpp). Each failure
// names the limit and the fix; nothing is sent.
#include <set>

#include "ddb/limits.hpp"
#include "model/codec.hpp"

namespace ddb::detail {

namespace {

result<void> table_name(const std::string& name) { return limits::check_table_name(name); }

// Key attributes: a partition key up to 2048 bytes, a sort key up to 1024.
// Which one is which is the table's schema; a key of two attributes must
// have one of them within 1024 bytes.
result<void> key(const item& k, const std::string& where) {
  std::size_t small = 0;
  for (const auto& [name, v] : k) {
    const std::size_t size = limits::value_size(v);
    if (size > limits::max_partition_key_bytes)
      return fail(errc::item_too_large, where + ": key attribute " + name + " is " + std::to_string(size) +
                                            " bytes, over DynamoDB's 2048-byte partition key limit");
    if (size <= limits::max_sort_key_bytes) ++small;
  }
  if (k.size() == 2 && small == 0)
    return fail(errc::item_too_large, where + ": both key attributes are over 1024 bytes; DynamoDB's sort key limit "
                                              "is 1024 bytes");
  return {};
}

std::string key_text(const std::string& table, const item& k) { return table + " " + limits::key_text(k); }

// Whether the put item holds every attribute of `k` with the same value.
bool matches_key(const item& put_item, const item& k) {
  for (const auto& [name, v] : k) {
    const value* mine = put_item.find(name);
    if (!mine || !(*mine == v)) return false;
  }
  return !k.empty();
}

#define DDB_CHECK(expr)              \
  do {                               \
    if (auto r_ = (expr); !r_) return r_; \
  } while (0)

}  // namespace

result<void> check(const get_item_request& r) {
  DDB_CHECK(table_name(r.table_name));
  return key(r.key, "GetItem");
}
result<void> check(const put_item_request& r) {
  DDB_CHECK(table_name(r.table_name));
  return limits::check_item(r.item, "the PutItem item");
}
result<void> check(const update_item_request& r) {
  DDB_CHECK(table_name(r.table_name));
  return key(r.key, "UpdateItem");
}
result<void> check(const delete_item_request& r) {
  DDB_CHECK(table_name(r.table_name));
  return key(r.key, "DeleteItem");
}
result<void> check(const query_request& r) { return table_name(r.table_name); }
result<void> check(const scan_request& r) { return table_name(r.table_name); }
result<void> check(const describe_table_request& r) { return table_name(r.table_name); }
result<void> check(const delete_table_request& r) { return table_name(r.table_name); }

result<void> check(const create_table_request& r) {
  DDB_CHECK(table_name(r.table_name));
  for (const auto& g : r.global_secondary_indexes) DDB_CHECK(limits::check_index_name(g.index_name));
  for (const auto& l : r.local_secondary_indexes) DDB_CHECK(limits::check_index_name(l.index_name));
  return {};
}

result<void> check(const batch_write_item_request& r) {
  std::size_t n = 0;
  std::set<std::string> keys;
  for (const auto& [table, writes] : r.request_items) {
    DDB_CHECK(table_name(table));
    for (const auto& w : writes) {
      ++n;
      if (w.put_request) DDB_CHECK(limits::check_item(w.put_request->item, "a BatchWriteItem item"));
      if (w.delete_request && !keys.insert(key_text(table, w.delete_request->key)).second)
        return fail(errc::duplicate_key, "BatchWriteItem deletes the key " + key_text(table, w.delete_request->key) +
                                             " twice; DynamoDB refuses duplicate keys in a batch");
    }
  }
  if (n > limits::max_batch_write_requests)
    return fail(errc::too_many_actions, "BatchWriteItem has " + std::to_string(n) +
                                            " requests, over DynamoDB's 25; use ddb::batch_write, which splits them");
  return {};
}

result<void> check(const batch_get_item_request& r) {
  std::size_t n = 0;
  std::set<std::string> keys;
  for (const auto& [table, kaa] : r.request_items) {
    DDB_CHECK(table_name(table));
    for (const auto& k : kaa.keys) {
      ++n;
      if (!keys.insert(key_text(table, k)).second)
        return fail(errc::duplicate_key, "BatchGetItem asks for the key " + key_text(table, k) +
                                             " twice; DynamoDB refuses duplicate keys in a batch");
    }
  }
  if (n > limits::max_batch_get_keys)
    return fail(errc::too_many_actions, "BatchGetItem has " + std::to_string(n) +
                                            " keys, over DynamoDB's 100; use ddb::batch_get, which splits them");
  return {};
}

// At most 100 actions and 4 MB; one action per item. Two actions on one key
// are seen when both give the key, or when a Put's item holds another
// action's key (two Puts of one item need the table's key schema: DynamoDB
// refuses them itself).
result<void> check(const transact_write_items_request& r) {
  if (r.transact_items.size() > limits::max_transaction_actions)
    return fail(errc::too_many_actions, "TransactWriteItems has " + std::to_string(r.transact_items.size()) +
                                            " actions, over DynamoDB's 100; split the transaction");
  std::size_t bytes = 0;
  std::set<std::string> keys;
  std::vector<std::pair<const std::string*, const item*>> keyed, puts;
  for (std::size_t i = 0; i < r.transact_items.size(); ++i) {
    const auto& t = r.transact_items[i];
    const int actions = t.put.has_value() + t.delete_.has_value() + t.update.has_value() + t.condition_check.has_value();
    if (actions != 1)
      return fail(errc::invalid_config, "TransactWriteItems action " + std::to_string(i) + " has " +
                                            std::to_string(actions) + " of Put/Update/Delete/ConditionCheck; give exactly one");
    const std::string* table = nullptr;
    const item* k = nullptr;
    if (t.put) {
      DDB_CHECK(table_name(t.put->table_name));
      DDB_CHECK(limits::check_item(t.put->item, "the item of TransactWriteItems action " + std::to_string(i)));
      bytes += limits::item_size(t.put->item);
      puts.emplace_back(&t.put->table_name, &t.put->item);
      continue;
    }
    if (t.delete_) table = &t.delete_->table_name, k = &t.delete_->key;
    if (t.update) table = &t.update->table_name, k = &t.update->key;
    if (t.condition_check) table = &t.condition_check->table_name, k = &t.condition_check->key;
    DDB_CHECK(table_name(*table));
    DDB_CHECK(key(*k, "TransactWriteItems action " + std::to_string(i)));
    bytes += limits::item_size(*k);
    if (!keys.insert(key_text(*table, *k)).second)
      return fail(errc::duplicate_key, "TransactWriteItems acts twice on the key " + key_text(*table, *k) +
                                           "; DynamoDB allows one action per item in a transaction");
    keyed.emplace_back(table, k);
  }
  for (const auto& [pt, pi] : puts)
    for (const auto& [kt, ki] : keyed)
      if (*pt == *kt && matches_key(*pi, *ki))
        return fail(errc::duplicate_key, "TransactWriteItems puts the item with key " + key_text(*kt, *ki) +
                                             " and acts on it again; DynamoDB allows one action per item");
  // Two puts of one item: a put's key attributes are known when another
  // action names the same table's key (its key's names are the schema's);
  // without one, only identical items are certainly the same item (the rest
  // is DynamoDB's ValidationException: nothing is applied either way).
  auto schema_of = [&](const std::string& table) -> const item* {
    for (const auto& [kt, ki] : keyed)
      if (*kt == table) return ki;
    return nullptr;
  };
  auto same_key = [](const item& a, const item& b, const item& schema) {
    for (const auto& [name, unused] : schema) {
      const value* x = a.find(name);
      const value* y = b.find(name);
      if (!x || !y || !(*x == *y)) return false;
    }
    return !schema.empty();
  };
  for (std::size_t a = 0; a < puts.size(); ++a) {
    const auto& [at, ai] = puts[a];
    const item* schema = schema_of(*at);
    for (std::size_t b = 0; b < a; ++b) {
      const auto& [bt, bi] = puts[b];
      if (*at == *bt && (*ai == *bi || (schema && same_key(*ai, *bi, *schema))))
        return fail(errc::duplicate_key, "TransactWriteItems puts the same item twice (table " + *at +
                                             "); DynamoDB allows one action per item in a transaction");
    }
  }
  if (bytes > limits::max_transaction_bytes)
    return fail(errc::too_many_actions, "TransactWriteItems holds " + std::to_string(bytes) +
                                            " bytes of items, over DynamoDB's 4 MB; split the transaction");
  return {};
}

result<void> check(const transact_get_items_request& r) {
  if (r.transact_items.size() > limits::max_transaction_actions)
    return fail(errc::too_many_actions, "TransactGetItems has " + std::to_string(r.transact_items.size()) +
                                            " actions, over DynamoDB's 100; split it");
  std::set<std::string> keys;
  for (const auto& t : r.transact_items) {
    DDB_CHECK(table_name(t.get.table_name));
    if (!keys.insert(key_text(t.get.table_name, t.get.key)).second)
      return fail(errc::duplicate_key, "TransactGetItems reads the key " + key_text(t.get.table_name, t.get.key) +
                                           " twice; DynamoDB refuses it");
  }
  return {};
}

#undef DDB_CHECK

}  // namespace ddb::detail
