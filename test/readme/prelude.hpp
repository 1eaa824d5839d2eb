#pragma once
// What the README's code examples take as given (test/readme/README.md):
// every public header, the names the examples use without defining them,
// declared only (the examples are compiled, not linked or run).
#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "ddb/agent/idempotency.hpp"
#include "ddb/agent/lease.hpp"
#include "ddb/agent/ledger.hpp"
#include "ddb/agent/checkpoint.hpp"
#include "ddb/agent/flags.hpp"
#include "ddb/agent/memory.hpp"
#include "ddb/agent/rate_limit.hpp"
#include "ddb/streams/consumer.hpp"
#include "ddb/batch.hpp"
#include "ddb/cache.hpp"
#include "ddb/client.hpp"
#include "ddb/expr.hpp"
#include "ddb/model.hpp"
#include "ddb/paginate.hpp"
#include "ddb/typed.hpp"
#include "ddb/vec/scorer.hpp"
#include "ddb/waiters.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace readme {
struct event {
  std::string pk;
  std::string sk;
};
BOOST_DESCRIBE_STRUCT(event, (), (pk, sk))
}  // namespace readme
using readme::event;

extern ddb::client& db;
extern ddb::client& client;
extern asio::any_io_executor executor;
extern std::vector<float> embedding, query;
extern std::uint32_t ns_id;
extern std::string prompt, card, run_id;
extern long amount;
extern bool done;
extern ddb::agent::idempotency::function call_the_tool;
void use(const event&);
std::map<std::string, std::vector<ddb::write_request>> pending_writes();
asio::awaitable<std::string> ask_the_model(const std::string& prompt);
asio::awaitable<std::string> charge(const std::string& card, long amount);
template <class Token>
asio::awaitable<void> report(std::uint64_t fence, Token token);
std::string next_tool_call_json();
