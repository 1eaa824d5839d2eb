#pragma once
#include <string>

#include "ddb/core/value.hpp"

namespace ddb::test {

// A value nested `depth` levels deep (alternating L and M around a string
// leaf); nested(1) is the leaf itself.
inline value nested(int depth) {
  value v = "leaf";
  for (int i = 1; i < depth; ++i) v = (i % 2) ? value(list{std::move(v)}) : value(item{{"k", std::move(v)}});
  return v;
}

// CreateTable for a table keyed by the string attribute pk, on demand.
inline std::string create_table_body(const std::string& table) {
  return R"({"TableName":")" + table +
         R"(","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],)"
         R"("KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"})";
}

}  // namespace ddb::test
