#pragma once
// `ddb load`'s operations (in ddb-bench): the request templates of a run's
// mix, filled with each request's key numbers and sent. Parsing and checks
// in src/cli/load_ops.cpp; sending here (a template, so the completion
// handlers stay allocation-free).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/common.hpp"
#include "cli/load_templates.hpp"
#include "ddb/client.hpp"
#include "ddb/model.hpp"
#include "load/mix.hpp"
#include "load/sizes.hpp"

namespace ddb::cli::load_cli {

enum class op_kind {
  get_item, put_item, update_item, delete_item, query,
  batch_get_item, batch_write_item, transact_get_items, transact_write_items
};
inline constexpr std::array<const char*, 9> op_names{"get-item", "put-item", "update-item", "delete-item", "query",
                                                   "batch-get-item", "batch-write-item", "transact-get-items",
                                                   "transact-write-items"};
const std::vector<std::string>& known_ops();
op_kind kind_of(const std::string& name);
bool is_read(op_kind k) noexcept;

// Sums the capacity units of a response's ConsumedCapacity (one or a list).
double units_of(const std::optional<ddb::consumed_capacity>& c) noexcept;
double units_of(const std::vector<ddb::consumed_capacity>& c) noexcept;

class operations {
 public:
  // Reads the templates the mix needs from the options (--key, --item,
  // --update-expression, --key-condition/--values, --names, --batch-size,
  // --item-bytes, --cli-input-json); throws usage_error naming what is
  // missing or wrong, before anything is sent.
  operations(const args& a, const std::string& table, const std::vector<load::weighted_op>& mix, std::uint64_t seed);

  // Keys each request of `k` carries (a batch's or transaction's size; 1 else).
  std::size_t keys_per_request(op_kind k) const noexcept;
  // Whether request keys land in the table's partition key (else every
  // such request goes to one partition), once the key attribute is known.
  void set_partition_key(const std::string& name);
  bool partitioned(op_kind k) const noexcept { return partitioned_[static_cast<std::size_t>(k)]; }
  bool all_partitioned() const noexcept;
  const std::vector<op_kind>& mix() const noexcept { return kinds_; }

  // Sends one request of kind k for `keys` (keys_per_request(k) of them);
  // done(ec, diagnostics, capacity units, unprocessed items) on completion.
  template <class Done>
  void send(ddb::client& c, op_kind k, const std::int64_t* keys, Done done);

 private:
  void pad(ddb::item& it);
  std::string next_token();

  std::vector<op_kind> kinds_;  // the mix, in its order
  std::array<bool, op_names.size()> used_{}, partitioned_{};
  std::string table_;
  request_template key_, item_, values_, update_values_;
  std::optional<load::size_generator> sizes_;
  std::size_t batch_get_ = 100, batch_write_ = 25, transact_get_ = 10, transact_write_ = 10;
  bool whole_transaction_ = false;  // --cli-input-json: sent as given, a fresh token each time
  std::string token_prefix_;
  std::uint64_t token_count_ = 0;

  ddb::get_item_request get_;
  ddb::put_item_request put_;
  ddb::update_item_request update_;
  ddb::delete_item_request delete_;
  ddb::query_request query_;
  ddb::batch_get_item_request batch_get_req_;
  ddb::batch_write_item_request batch_write_req_;
  ddb::transact_get_items_request transact_get_req_;
  ddb::transact_write_items_request transact_write_req_;
};

template <class Done>
void operations::send(ddb::client& c, op_kind k, const std::int64_t* keys, Done done) {
  using boost::system::error_code;
  const std::size_t n = keys_per_request(k);
  switch (k) {
    case op_kind::get_item:
      fill(get_.key, key_.slots, keys[0]);
      c.get_item(get_, [done = std::move(done)](error_code ec, ddb::get_item_response r) { done(ec, r.diag, units_of(r.consumed_capacity), 0); });
      return;
    case op_kind::put_item:
      fill(put_.item, item_.slots, keys[0]);
      pad(put_.item);
      c.put_item(put_, [done = std::move(done)](error_code ec, ddb::put_item_response r) { done(ec, r.diag, units_of(r.consumed_capacity), 0); });
      return;
    case op_kind::update_item:
      fill(update_.key, key_.slots, keys[0]);
      fill(update_.expression_attribute_values, update_values_.slots, keys[0]);
      c.update_item(update_, [done = std::move(done)](error_code ec, ddb::update_item_response r) {
        done(ec, r.diag, units_of(r.consumed_capacity), 0);
      });
      return;
    case op_kind::delete_item:
      fill(delete_.key, key_.slots, keys[0]);
      c.delete_item(delete_, [done = std::move(done)](error_code ec, ddb::delete_item_response r) {
        done(ec, r.diag, units_of(r.consumed_capacity), 0);
      });
      return;
    case op_kind::query:
      fill(query_.expression_attribute_values, values_.slots, keys[0]);
      c.query(query_, [done = std::move(done)](error_code ec, ddb::query_response r) { done(ec, r.diag, units_of(r.consumed_capacity), 0); });
      return;
    case op_kind::batch_get_item: {
      auto& list = batch_get_req_.request_items.begin()->second.keys;  // n keys, from the constructor
      for (std::size_t i = 0; i < n; ++i) fill(list[i], key_.slots, keys[i]);
      c.batch_get_item(batch_get_req_, [done = std::move(done)](error_code ec, ddb::batch_get_item_response r) {
        std::int64_t left = 0;
        for (const auto& [t, ka] : r.unprocessed_keys) left += static_cast<std::int64_t>(ka.keys.size());
        done(ec, r.diag, units_of(r.consumed_capacity), left);
      });
      return;
    }
    case op_kind::batch_write_item: {
      auto& list = batch_write_req_.request_items.begin()->second;
      for (std::size_t i = 0; i < n; ++i) {
        fill(list[i].put_request->item, item_.slots, keys[i]);
        pad(list[i].put_request->item);
      }
      c.batch_write_item(batch_write_req_, [done = std::move(done)](error_code ec, ddb::batch_write_item_response r) {
        std::int64_t left = 0;
        for (const auto& [t, w] : r.unprocessed_items) left += static_cast<std::int64_t>(w.size());
        done(ec, r.diag, units_of(r.consumed_capacity), left);
      });
      return;
    }
    case op_kind::transact_get_items: {
      auto& list = transact_get_req_.transact_items;
      for (std::size_t i = 0; i < n; ++i) fill(list[i].get.key, key_.slots, keys[i]);
      c.transact_get_items(transact_get_req_, [done = std::move(done)](error_code ec, ddb::transact_get_items_response r) {
        done(ec, r.diag, units_of(r.consumed_capacity), 0);
      });
      return;
    }
    case op_kind::transact_write_items: {
      if (!whole_transaction_) {
        auto& list = transact_write_req_.transact_items;
        for (std::size_t i = 0; i < n; ++i) {
          fill(list[i].put->item, item_.slots, keys[i]);
          pad(list[i].put->item);
        }
      }
      transact_write_req_.client_request_token = next_token();
      c.transact_write_items(transact_write_req_, [done = std::move(done)](error_code ec, ddb::transact_write_items_response r) {
        done(ec, r.diag, units_of(r.consumed_capacity), 0);
      });
      return;
    }
  }
}

}  // namespace ddb::cli::load_cli
