// `ddb ledger` (in ddb-agent) beyond `call` (src/cli/agent.cpp): an agent
// run's tool-call ledger in the agent table (ddb::agent::ledger).
//
//   ddb ledger start --table-name T --run R [--create-table]   the run as JSON (created: true the first time)
//   ddb ledger get --table-name T --run R                      the run as JSON; none: exit 2
//   ddb ledger finish --table-name T --run R --status succeeded|failed|cancelled
//                                     the run as written; already final or changed meanwhile: exit 1
//   ddb ledger list --table-name T --run R [--from 0] [--limit 100]   its steps as JSON lines, in order
#include <iostream>

#include "cli/agent_commands.hpp"
#include "ddb/agent/ledger.hpp"
#include "ddb/core/json.hpp"

namespace ddb::cli {

namespace asio = boost::asio;

namespace {

std::string run_json(const agent::run_info& r) {
  return json::to_plain_json(item{{"run", r.run},
                                  {"status", agent::to_string(r.status)},
                                  {"version", r.version},
                                  {"created_ms", r.created_ms},
                                  {"updated_ms", r.updated_ms},
                                  {"created", r.created}});
}

agent::run_status status_named(const std::string& s) {
  if (s == "succeeded") return agent::run_status::succeeded;
  if (s == "failed") return agent::run_status::failed;
  if (s == "cancelled") return agent::run_status::cancelled;
  throw usage_error("--status is succeeded, failed or cancelled, not '" + s + "'");
}

}  // namespace

int ledger_command(const args& a) {
  const std::string what = a.positional.size() > 1 ? a.positional[1] : "";
  if (what != "start" && what != "get" && what != "finish" && what != "list")
    throw usage_error("say `ddb ledger call`, `start`, `get`, `finish` or `list`");
  const agent::table_options t{.table_name = a.require("table-name"), .create_table = a.options.count("create-table") != 0};
  const std::string run = a.require("run");
  const std::int64_t from = a.number("from", 0, 0);
  const auto limit = static_cast<std::size_t>(a.number("limit", 100));
  const std::optional<agent::run_status> to =
      what == "finish" ? std::optional<agent::run_status>(status_named(a.require("status"))) : std::nullopt;
  return run_with_client(a, [&](ddb::client& c) -> asio::awaitable<int> {
    agent::ledger book(c, t);
    int rc = 0;
    try {
      if (what == "start") {
        std::cout << run_json(co_await book.start(run)) << "\n";
      } else if (what == "get") {
        std::cout << run_json(co_await book.get(run)) << "\n";
      } else if (what == "finish") {
        const agent::run_info now = co_await book.get(run);
        std::cout << run_json(co_await book.finish(run, *to, now.version)) << "\n";
      } else {
        agent::step_page page = co_await book.list(run, from, limit);
        for (const agent::step_record& st : page.steps) {
          item line{{"step", st.step}, {"status", st.status}, {"args", st.args},
                    {"started_ms", st.started_ms}, {"completed_ms", st.completed_ms}};
          if (!st.error.empty()) line.insert_or_assign("error", st.error);
          std::cout << json::to_plain_json(line) << "\n";
        }
        if (page.next) std::cerr << "ddb ledger list: more steps from --from " << *page.next << "\n";
      }
    } catch (const ddb::error& e) {
      std::cerr << "ddb ledger " << what << ": " << e.what() << "\n";
      rc = e.code() == errc::version_conflict || e.code() == errc::invalid_transition ? 1 : exit_code_for(e.code());
    }
    co_return rc;
  });
}

}  // namespace ddb::cli
