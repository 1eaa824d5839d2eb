#pragma once
// The items the benchmarks share (bench_core, bench/peers/ddb_peer.cpp): one
// typical item, and a Query page of 1,000 items of mixed types, about 1 MB
// (DynamoDB's page limit), so that the peer table decodes the page bench_core does.
#include <cstdint>
#include <string>

#include "ddb/core/json.hpp"
#include "ddb/core/value.hpp"

namespace bench {

inline ddb::item typical_item() {
  return ddb::item{{"pk", "user#12345"},
                   {"sk", "profile"},
                   {"name", "Ada Lovelace"},
                   {"email", "ada@example.com"},
                   {"created", 1732190000},
                   {"score", ddb::number("4721.25")},
                   {"active", true},
                   {"tags", ddb::string_set{"admin", "beta", "eu"}},
                   {"prefs", ddb::item{{"theme", "dark"}, {"lang", "en"}, {"tz", "Europe/London"}}},
                   {"recent", ddb::list{"a1", "b2", "c3", 17, 42}}};
}

inline std::string query_page() {
  std::string out = R"({"Items":[)";
  for (int i = 0; i < 1000; ++i) {
    ddb::item it = typical_item();
    it.insert_or_assign("sk", "event#" + std::to_string(i));
    it.insert_or_assign("body", std::string(560, static_cast<char>('a' + i % 26)));
    it.insert_or_assign("raw", ddb::bytes(96, static_cast<std::uint8_t>(i)));
    it.insert_or_assign("nums", ddb::number_set{ddb::number(std::to_string(i)), ddb::number("3.25"), ddb::number("-7")});
    it.insert_or_assign("gone", ddb::null);
    if (i) out += ',';
    out += ddb::json::to_json(it);
  }
  out += R"(],"Count":1000,"ScannedCount":1000,"LastEvaluatedKey":{"pk":{"S":"user#12345"},"sk":{"S":"event#999"}}})";
  return out;
}

}  // namespace bench
