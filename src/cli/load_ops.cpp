#include "cli/load_ops.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "ddb/core/json.hpp"
#include "model/codec.hpp"

namespace ddb::cli::load_cli {

const std::vector<std::string>& known_ops() {
  static const std::vector<std::string> names(op_names.begin(), op_names.end());
  return names;
}

op_kind kind_of(const std::string& name) {
  for (std::size_t i = 0; i < op_names.size(); ++i)
    if (name == op_names[i]) return static_cast<op_kind>(i);
  throw usage_error("unknown operation '" + name + "'");
}

bool is_read(op_kind k) noexcept {
  return k == op_kind::get_item || k == op_kind::query || k == op_kind::batch_get_item || k == op_kind::transact_get_items;
}

double units_of(const std::optional<ddb::consumed_capacity>& c) noexcept {
  return c && c->capacity_units ? *c->capacity_units : 0.0;
}

double units_of(const std::vector<ddb::consumed_capacity>& c) noexcept {
  double sum = 0;
  for (const ddb::consumed_capacity& one : c) sum += one.capacity_units.value_or(0.0);
  return sum;
}

namespace {

std::size_t batch_size(const args& a, const char* op, std::size_t fallback, std::size_t limit) {
  const long n = a.number("batch-size", static_cast<long>(std::min(fallback, limit)));
  if (n < 1 || static_cast<std::size_t>(n) > limit)
    throw usage_error("--batch-size " + std::to_string(n) + ": " + op + " takes 1 to " + std::to_string(limit) +
                      " items a request");
  return static_cast<std::size_t>(n);
}

std::map<std::string, std::string> names_of(const args& a) {
  std::map<std::string, std::string> out;
  if (!a.options.count("names")) return out;
  auto parsed = ddb::json::parse_plain_item(a.get("names"));
  if (!parsed) throw usage_error("--names must be a JSON object like {\"#n\":\"name\"}: " + parsed.error().message);
  for (const auto& [k, v] : *parsed) {
    const std::string* s = v.get_if<std::string>();
    if (!s) throw usage_error("--names: \"" + k + "\" must name an attribute (a string)");
    out.emplace(k, *s);
  }
  return out;
}

}  // namespace

operations::operations(const args& a, const std::string& table, const std::vector<load::weighted_op>& mix,
                       std::uint64_t seed)
    : table_(table) {
  for (const load::weighted_op& w : mix) {
    kinds_.push_back(kind_of(w.op));
    used_[static_cast<std::size_t>(kinds_.back())] = true;
  }
  const auto uses = [&](op_kind k) { return used_[static_cast<std::size_t>(k)]; };
  whole_transaction_ = uses(op_kind::transact_write_items) && a.options.count("cli-input-json");
  const bool keyed = uses(op_kind::get_item) || uses(op_kind::update_item) || uses(op_kind::delete_item) ||
                     uses(op_kind::batch_get_item) || uses(op_kind::transact_get_items);
  const bool items = uses(op_kind::put_item) || uses(op_kind::batch_write_item) ||
                     (uses(op_kind::transact_write_items) && !whole_transaction_);
  if (keyed) key_ = template_of(a, "key");
  if (items) item_ = template_of(a, "item");
  if (a.options.count("item-bytes")) {
    if (!items) throw usage_error("--item-bytes goes with put-item, batch-write-item or transact-write-items");
    auto spec = load::parse_size_spec(a.get("item-bytes"));
    if (!spec) throw usage_error(spec.error().message);
    sizes_.emplace(*spec, seed * 104729 + 17);
  }
  const auto names = names_of(a);
  if (uses(op_kind::query)) {
    values_ = template_of(a, "values");
    query_.table_name = table;
    query_.key_condition_expression = a.require("key-condition");
    query_.expression_attribute_values = values_.item;
    query_.expression_attribute_names = names;
  }
  if (uses(op_kind::update_item)) {
    update_.table_name = table;
    update_.key = key_.item;
    update_.update_expression = a.require("update-expression");
    if (a.options.count("update-values")) update_values_ = template_of(a, "update-values");
    update_.expression_attribute_values = update_values_.item;
    update_.expression_attribute_names = names;
  } else if (a.options.count("update-expression") || a.options.count("update-values")) {
    throw usage_error("--update-expression and --update-values go with update-item");
  }
  get_.table_name = delete_.table_name = put_.table_name = table;
  get_.key = delete_.key = key_.item;
  put_.item = item_.item;
  if (uses(op_kind::batch_get_item)) {
    batch_get_ = batch_size(a, "batch-get-item", 100, 100);
    batch_get_req_.request_items[table].keys.assign(batch_get_, key_.item);
  }
  if (uses(op_kind::batch_write_item)) {
    batch_write_ = batch_size(a, "batch-write-item", 25, 25);
    ddb::write_request w;
    w.put_request.emplace();
    w.put_request->item = item_.item;
    batch_write_req_.request_items[table].assign(batch_write_, w);
  }
  if (uses(op_kind::transact_get_items)) {
    transact_get_ = batch_size(a, "transact-get-items", 10, 100);
    ddb::transact_get_item g;
    g.get.key = key_.item;
    g.get.table_name = table;
    transact_get_req_.transact_items.assign(transact_get_, g);
  }
  if (whole_transaction_) {
    auto r = ddb::detail::decode<ddb::transact_write_items_request>(input_json(a, true));
    if (!r) throw usage_error("invalid --cli-input-json: " + r.error().message);
    if (r->transact_items.empty()) throw usage_error("--cli-input-json: TransactItems is empty");
    transact_write_req_ = std::move(*r);
    transact_write_ = 1;  // one request as given; it names its own keys
  } else if (uses(op_kind::transact_write_items)) {
    transact_write_ = batch_size(a, "transact-write-items", 10, 100);
    ddb::transact_write_item p;
    p.put.emplace();
    p.put->table_name = table;
    p.put->item = item_.item;
    transact_write_req_.transact_items.assign(transact_write_, p);
  }
  // ClientRequestToken: at most 36 characters, unique per request.
  char prefix[24];
  const auto end = std::to_chars(prefix, prefix + sizeof prefix, static_cast<unsigned long long>(seed) * 1000003 +
                                                                   static_cast<unsigned long long>(::getpid()), 36).ptr;
  token_prefix_ = "ddbload-" + std::string(prefix, end) + "-";
  for (op_kind k : kinds_) partitioned_[static_cast<std::size_t>(k)] = true;
}

std::size_t operations::keys_per_request(op_kind k) const noexcept {
  switch (k) {
    case op_kind::batch_get_item: return batch_get_;
    case op_kind::batch_write_item: return batch_write_;
    case op_kind::transact_get_items: return transact_get_;
    case op_kind::transact_write_items: return transact_write_;
    default: return 1;
  }
}

void operations::set_partition_key(const std::string& name) {
  const auto in = [&](const std::vector<key_slot>& slots) {
    return std::any_of(slots.begin(), slots.end(), [&](const key_slot& s) { return s.name == name; });
  };
  for (op_kind k : kinds_) {
    bool p = false;
    switch (k) {
      case op_kind::get_item:
      case op_kind::update_item:
      case op_kind::delete_item:
      case op_kind::batch_get_item:
      case op_kind::transact_get_items: p = in(key_.slots); break;
      case op_kind::put_item:
      case op_kind::batch_write_item: p = in(item_.slots); break;
      case op_kind::transact_write_items: p = !whole_transaction_ && in(item_.slots); break;
      case op_kind::query: p = !values_.slots.empty(); break;  // the key number taken as the partition key's
    }
    partitioned_[static_cast<std::size_t>(k)] = p;
  }
}

bool operations::all_partitioned() const noexcept {
  return std::all_of(kinds_.begin(), kinds_.end(), [&](op_kind k) { return partitioned(k); });
}

void operations::pad(ddb::item& it) {
  if (!sizes_) return;
  it.insert_or_assign("pad", ddb::value(std::string(static_cast<std::size_t>(sizes_->next()), 'x')));
}

std::string operations::next_token() {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, ++token_count_).ptr;
  std::string t = token_prefix_;
  t.append(digits, end);
  return t;
}

}  // namespace ddb::cli::load_cli
