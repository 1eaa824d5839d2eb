#pragma once
// Tables declared in a spec (pure code): `ddb table apply|check|terraform`.
// A spec file is a JSON object:
//
//   {"table_name": "agent-state",
//    "partition_key": {"name": "pk", "type": "S"}, "sort_key": {"name": "sk", "type": "S"},
//    "billing_mode": "PAY_PER_REQUEST",              // or "PROVISIONED" with read_capacity, write_capacity
//    "global_secondary_indexes": [{"name": "by_owner", "partition_key": {...}, "sort_key": {...},
//                                  "projection": "ALL" | "KEYS_ONLY" | ["attr", ...],
//                                  "read_capacity": 5, "write_capacity": 5}],
//    "ttl_attribute": "expires_at",
//    "point_in_time_recovery": true,
//    "server_side_encryption": {"enabled": true, "kms_key_id": "alias/app"},
//    "stream_view_type": "NEW_AND_OLD_IMAGES",       // absent or null: no stream
//    "table_class": "STANDARD" | "STANDARD_INFREQUENT_ACCESS",
//    "deletion_protection": true,
//    "tags": {"app": "agents"}}
//
// What the table is now (from DescribeTable, DescribeTimeToLive,
// DescribeContinuousBackups, ListTagsOfResource) is read into the same
// shape, and `plan` turns the differences into the requests that remove
// them, in an order DynamoDB accepts.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/error.hpp"
#include "ddb/model.hpp"

namespace ddb::tables {

struct key_attribute {
  std::string name, type;  // type "S", "N" or "B"
  friend bool operator==(const key_attribute&, const key_attribute&) = default;
};

struct index_spec {
  std::string name;
  key_attribute partition;
  std::optional<key_attribute> sort;
  std::string projection = "ALL";      // ALL, KEYS_ONLY or INCLUDE
  std::vector<std::string> non_key;    // INCLUDE's attributes
  std::optional<std::int64_t> read_capacity, write_capacity;  // provisioned tables
  friend bool operator==(const index_spec&, const index_spec&) = default;
};

struct table_spec {
  std::string table_name;
  key_attribute partition;
  std::optional<key_attribute> sort;
  std::string billing_mode = "PAY_PER_REQUEST";
  std::optional<std::int64_t> read_capacity, write_capacity;
  std::vector<index_spec> indexes;
  std::optional<std::string> ttl_attribute;
  bool point_in_time_recovery = false;
  bool sse_kms = false;                  // false: DynamoDB's own key (always encrypted)
  std::optional<std::string> kms_key_id;  // with sse_kms: a customer key (else the AWS managed one)
  std::optional<std::string> stream_view_type;
  std::string table_class = "STANDARD";
  bool deletion_protection = false;
  std::map<std::string, std::string> tags;
};

// Parses and checks a spec (unknown fields, bad values and missing keys are
// errors naming the field and the fix).
result<table_spec> parse_spec(std::string_view json);

// The table as described, in the spec's shape.
struct observed {
  table_description table;
  std::optional<time_to_live_description> ttl;
  std::optional<continuous_backups_description> backups;
  std::vector<tag> tags;
};
table_spec spec_of(const observed& o);

// One difference: "billing_mode: PROVISIONED -> PAY_PER_REQUEST".
struct difference {
  std::string field, have, want;
  std::string text() const { return field + ": " + have + " -> " + want; }
};
std::vector<difference> differences(const table_spec& want, const std::optional<table_spec>& have);

// The requests that bring the table (absent: none) to the spec, in order.
// Each UpdateTable carries one change DynamoDB can make at a time (one index
// created or deleted per request); the caller waits for the table and its
// indexes to be ACTIVE between steps. A change DynamoDB cannot make (the key
// schema, an index's keys) is an error naming it.
struct step {
  std::optional<create_table_request> create;
  std::optional<update_table_request> update;
  std::optional<update_time_to_live_request> ttl;
  std::optional<update_continuous_backups_request> backups;
  std::optional<tag_resource_request> tag;
  std::optional<untag_resource_request> untag;
  std::string what;  // for the log: "create table agent-state", "add index by_owner"
};
result<std::vector<step>> plan(const table_spec& want, const std::optional<table_spec>& have, const std::string& arn);

// The spec as Terraform (AWS provider `aws_dynamodb_table`), valid HCL2 in
// `terraform fmt` layout; `resource_name` is the resource's local name. With
// `module`, the name, tags and whether the stream is on come from those
// variables (a module's main.tf; examples/terraform/agent-state).
struct module_inputs {
  std::string table_name = "table_name", tags = "tags", enable_stream = "enable_stream";
};
std::string terraform(const table_spec& s, const std::string& resource_name, const module_inputs* module = nullptr);

}  // namespace ddb::tables
